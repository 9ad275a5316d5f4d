"""Start-up: registering the commands imports no heavy package; each command imports what it
needs when it runs (the timings are printed by benchmarks/startup.py, never asserted)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from typer.testing import CliRunner

from cost.objectives import MIX_TERMS, OBJECTIVE_NAMES
from stacks.cli import app

ROOT = Path(__file__).resolve().parents[2]
HEAVY = ("pulumi", "pydantic", "numpy", "yaml", "torch", "mlflow", "boto3", "cost.catalog")


def _imported_by(code: str) -> list[str]:
    probe = (
        f"import sys\n{code}\n"
        f"print(sorted({{m for m in sys.modules for h in {HEAVY!r} "
        "if m == h or m.startswith(h + '.')}))"
    )
    out = subprocess.run(
        [sys.executable, "-c", probe], cwd=ROOT, capture_output=True, text=True, check=True
    )
    return eval(out.stdout.strip().splitlines()[-1])  # a printed list of module names


def test_registering_every_command_imports_no_heavy_package():
    assert _imported_by("import stacks.cli") == []


def test_help_imports_no_heavy_package():
    for argv in (["--help"], ["optimize", "--help"], ["plan", "--help"]):
        code = (
            f"sys.argv = ['pioneer', *{argv!r}]\n"
            "from stacks.cli import main\n"
            "try:\n    main()\nexcept SystemExit as e:\n    assert e.code in (0, None)"
        )
        # typer itself coerces parameter values with pydantic once a command is parsed
        assert [m for m in _imported_by(code) if m.split(".")[0] != "pydantic"] == [], argv


def test_the_cli_lists_the_objectives_the_optimizer_implements():
    from cost.optimize import OBJECTIVES

    assert tuple(OBJECTIVES) == MIX_TERMS and (*MIX_TERMS, "mix") == OBJECTIVE_NAMES
    assert "carbon" in CliRunner().invoke(app, ["optimize", "--help"]).stdout
