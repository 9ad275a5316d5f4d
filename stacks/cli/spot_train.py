"""`pioneer train --backend local --spot-trace FILE`: a real local run under a spot trace."""

from __future__ import annotations

from pathlib import Path

from rich.table import Table

from cost.simulate import TraceError, load_trace
from cost.spot_policies import get_policy
from stacks.cli.common import console, err_console, fail, print_json, user_errors
from training.spot_controller import LocalCapacity, control

DEFAULT_STEPS = {"digits": 300, "lm": 200}  # training.train's defaults


def train_on_trace(
    nproc: int,
    train_args: list[str],
    output_dir: Path,
    trace_ref: str,
    time_scale: float,
    policy_name: str,
    json_out: bool,
) -> None:
    from training.backends.local import _flag

    if not time_scale > 0:
        fail(f"--time-scale: must be > 0 (got {time_scale})")
    with user_errors(TraceError, ValueError):
        trace = load_trace(trace_ref).for_simulation()
        policy = get_policy(policy_name)
        model = _flag(train_args, "--model") or "digits"
        max_steps = int(_flag(train_args, "--max-steps") or DEFAULT_STEPS[model])
    capacity = LocalCapacity(nproc, train_args, output_dir, max_steps)
    err_console.print(
        f"replaying {trace.name} ({trace.gap_seconds} s ticks, {trace.gap_seconds / time_scale:.2g} "
        f"s each) with policy {policy.name}"
    )
    res = control(trace, policy, capacity, time_scale)
    summary = capacity.summary or {}
    doc = {
        **res.as_dict(),
        "trace": trace.name,
        "policy": policy.name,
        "time_scale": time_scale,
        "resumed_from_steps": capacity.resumed_from,
        "status": summary.get("status"),
        "final_step": summary.get("final_step"),
        "weights_sha256": summary.get("weights_sha256"),
    }
    if json_out:
        print_json(doc)
    else:
        table = Table(title="training under a spot trace", show_header=False)
        for k in (
            "status",
            "final_step",
            "weights_sha256",
            "cost_usd",
            "deadline_met",
            "finish_hours",
            "spot_hours",
            "on_demand_hours",
            "starts",
            "preemptions",
        ):
            table.add_row(k, str(doc[k]))
        console.print(table)
    if doc["status"] != "completed":
        fail("training did not complete; see the log in the output directory", code=1)
