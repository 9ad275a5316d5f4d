"""The spot policy as a controller of a real local run: preempted by the trace, resumed from
its checkpoint, and bit-exact with an uninterrupted run."""

from __future__ import annotations

import time
from pathlib import Path

import numpy as np
import pytest

from cost.simulate import Trace
from cost.spot_policies import get_policy
from training.backends.local import run_local
from training.spot_controller import LocalCapacity, control

pytestmark = pytest.mark.slow

ARGS = ["--model", "digits", "--max-steps", "40", "--ckpt-every", "5", "--log-every", "5"]
ARGS += ["--tracking", "none", "--no-energy"]
# 300 s ticks: spot up for 4 ticks, gone for 3, then up; 1 tick = 0.5 wall s.
TRACE = Trace("test", 300, np.array([1] * 4 + [0] * 3 + [1] * 400, dtype=bool))


def test_controller_preempts_resumes_and_matches_an_uninterrupted_run(tmp_path: Path) -> None:
    reference = run_local(2, ARGS, tmp_path / "reference")
    cap = LocalCapacity(2, [*ARGS, "--step-sleep", "0.05"], tmp_path / "spot", max_steps=40)
    ticks = 0

    def clock(seconds: float) -> None:
        # The trace's clock waits for the run before the outage, so that the preemption
        # lands mid-training however loaded this machine is.
        nonlocal ticks
        ticks += 1
        if ticks == 4:
            end = time.monotonic() + 120
            while cap.step < 10 and cap.alive() and time.monotonic() < end:
                time.sleep(0.05)
        time.sleep(seconds)

    res = control(TRACE, get_policy("pioneer"), cap, time_scale=600, sleep=clock)
    assert res.preemptions >= 1 and res.starts >= 2
    assert res.actions[4:7] != ["spot"] * 3  # never on spot while the trace says it is gone
    assert cap.summary is not None and cap.summary["status"] == "completed"
    assert cap.summary["final_step"] == 40
    assert any(r is not None and 0 < r < 40 for r in cap.resumed_from)  # a real resume
    assert res.deadline_met and res.cost_usd > 0
    assert cap.summary["weights_sha256"] == reference["weights_sha256"]
