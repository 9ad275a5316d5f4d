"""Start the retraining pipeline when monitoring breaches: once per breach, not per check.

A scheduled monitor sees the same breach on every run until a new model is
serving, so the state file remembers whether this breach already started a
run (`in_breach`) and when the last run started (cooldown). A clean check
ends the breach; the next breach starts a new run once the cooldown is over.
The file is locked while deciding, so overlapping monitor runs start one.
"""

from __future__ import annotations

import fcntl
import json
import os
import subprocess
import sys
from collections.abc import Callable
from dataclasses import asdict, dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lifecycle.audit import AuditLog

Starter = Callable[[Path], str]  # starts the pipeline for a spec file; returns a run handle


@dataclass
class Decision:
    started: bool
    reason: str
    handle: str | None = None


def start_pipeline(pipeline_spec: Path) -> str:
    """`pioneer pipeline run SPEC` in the background, its output beside the spec; returns its pid."""
    log = pipeline_spec.with_suffix(".retrain.log")
    with log.open("ab") as out:
        proc = subprocess.Popen(
            [
                sys.executable,
                "-c",
                "from stacks.cli import main; main()",
                "pipeline",
                "run",
                str(pipeline_spec),
            ],
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    return f"pid {proc.pid} (log {log})"


def trigger(
    pipeline_spec: Path | str,
    *,
    breached: bool,
    state_path: Path | str,
    cooldown: timedelta,
    reason: str = "",
    start: Starter = start_pipeline,
    audit: AuditLog | None = None,
    now: datetime | None = None,
) -> Decision:
    """Record one monitoring result; start `pipeline_spec` if this is a new breach past cooldown."""
    state_path = Path(state_path)
    state_path.parent.mkdir(parents=True, exist_ok=True)
    now = now or datetime.now(UTC)
    with state_path.open("a+", encoding="utf-8") as f:
        fcntl.flock(f, fcntl.LOCK_EX)
        f.seek(0)
        text = f.read()
        state: dict[str, Any] = json.loads(text) if text.strip() else {}
        state.setdefault("in_breach", False)
        state.setdefault("starts", [])
        decision = _decide(state, breached, now, cooldown)
        if decision.started:
            decision.handle = start(Path(pipeline_spec))
            state["in_breach"] = True
            state["starts"].append(
                {"time": now.isoformat(), "reason": reason, "handle": decision.handle}
            )
            if audit is not None:
                audit.append(
                    "retrain",
                    str(pipeline_spec),
                    reason or "monitoring breach",
                    {"handle": decision.handle},
                )
        elif not breached:
            state["in_breach"] = False
        state["last_check"] = {"time": now.isoformat(), "breached": breached, **asdict(decision)}
        f.seek(0)
        f.truncate()
        f.write(json.dumps(state, indent=2))
        f.flush()
        os.fsync(f.fileno())
    return decision


def _decide(state: dict[str, Any], breached: bool, now: datetime, cooldown: timedelta) -> Decision:
    if not breached:
        return Decision(False, "no breach")
    if state.get("in_breach"):
        return Decision(False, "this breach already started a retraining run")
    if state["starts"]:
        last = datetime.fromisoformat(state["starts"][-1]["time"])
        if now - last < cooldown:
            return Decision(False, f"cooling down until {(last + cooldown).isoformat()}")
    return Decision(True, "new breach: retraining started")
