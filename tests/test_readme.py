"""The README is what users read first: it must be current and its commands must exist."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

from typer.main import get_command

from stacks.cli import app

ROOT = Path(__file__).resolve().parents[1]


def test_readme_is_built_from_the_current_sections():
    result = subprocess.run(
        [sys.executable, "docs/build_readme.py", "--check"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_quick_start_gives_the_two_commands_and_they_exist_in_the_makefile():
    readme = (ROOT / "README.md").read_text()
    assert "make demo" in readme and "make test" in readme
    makefile = (ROOT / "Makefile").read_text()
    assert re.search(r"^demo:", makefile, re.M) and re.search(r"^test:", makefile, re.M)


def test_every_pioneer_command_in_the_readme_is_a_real_command():
    readme = (ROOT / "README.md").read_text()
    root = get_command(app)
    # In inline code and in code blocks (`pioneer cost …`, `$ pioneer plan …`), not prose.
    used = set(re.findall(r"`pioneer ([a-z]+)", readme))
    in_block = False
    for line in readme.splitlines():
        if line.startswith("```"):
            in_block = not in_block
        elif in_block and (m := re.match(r"^(?:\$ )?pioneer ([a-z]+)", line)):
            used.add(m.group(1))
    assert used, "the README shows pioneer commands"
    assert used <= set(root.commands), sorted(used - set(root.commands))
