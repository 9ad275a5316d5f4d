"""The stack outputs a managed backend needs (bucket, role, cluster …), from wherever they are.

In order: `--outputs FILE` (JSON, as `pulumi stack output --json` prints it);
the Pulumi CLI when it is on PATH (a deployed stack); for a dry run, the
offline plan's outputs (`pioneer plan`, passed in by the caller as `plan_outputs`:
training sits below stacks and does not import it), so a request can be inspected
with no cloud account at all.
"""

from __future__ import annotations

import json
import shutil
import subprocess
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import Any

PlanOutputs = Callable[[str], Mapping[str, Any]]
"""stack name -> the outputs of its offline plan (`stacks.plan.plan_outputs`)."""


class OutputsError(ValueError):
    pass


def _from_file(path: Path) -> dict[str, Any]:
    if not path.is_file():
        raise OutputsError(f"--outputs: no file at {path}")
    try:
        doc = json.loads(path.read_text())
    except json.JSONDecodeError as e:
        raise OutputsError(f"--outputs: {path} is not JSON ({e})") from None
    if not isinstance(doc, dict):
        raise OutputsError(
            f"--outputs: {path} must hold a JSON object of stack outputs, got {type(doc).__name__}"
        )
    return doc


def _from_pulumi(stack: str, pulumi: str) -> dict[str, Any]:
    cmd = [pulumi, "stack", "output", "--json", "--show-secrets", "--stack", stack]
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    if proc.returncode != 0:
        raise OutputsError(
            f"`{' '.join(cmd)}` failed: {proc.stderr.strip() or proc.stdout.strip()}"
        )
    try:
        doc = json.loads(proc.stdout)
    except json.JSONDecodeError:
        raise OutputsError(f"`{' '.join(cmd)}` did not print JSON") from None
    if not doc:
        raise OutputsError(f"stack {stack!r} has no outputs: run `pulumi up` for it first")
    return doc


def load_stack_outputs(
    stack: str,
    outputs_file: Path | None,
    dry_run: bool,
    plan_outputs: PlanOutputs | None = None,
) -> dict[str, Any]:
    """Stack outputs for `stack`; raises `OutputsError` saying what to do when there are none.

    A dry run with neither a file nor a deployed stack uses `plan_outputs(stack)`."""
    if outputs_file is not None:
        return _from_file(Path(outputs_file))
    pulumi = shutil.which("pulumi")
    if pulumi is not None:
        try:
            return _from_pulumi(stack, pulumi)
        except OutputsError:
            if not dry_run:
                raise
    if dry_run and plan_outputs is not None:
        return dict(plan_outputs(stack))
    raise OutputsError(
        f"no outputs for stack {stack!r}: submitting needs a deployed stack — install the Pulumi "
        f"CLI and run `pulumi up --stack {stack}`, or pass --outputs FILE "
        f"(from `pulumi stack output --json --show-secrets`); --dry-run works offline"
    )
