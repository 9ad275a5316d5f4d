"""A spot policy as a job controller: replay a spot trace against a real training run.

Each tick of the trace lasts ``tick / time_scale`` wall seconds. At every tick the
controller builds the policy's `Observation` (the past and the present of the trace, and
the run's real progress), asks the policy for spot, on-demand or nothing, and drives a
`Capacity`:

* spot gone while the run is on spot: a preemption - SIGTERM (the run checkpoints at
  its next step boundary and exits), SIGKILL after the notice (AWS gives 120 s, scaled);
* a switch (spot <-> on-demand, or to idle): the same stop, then a start on the new kind;
* a start resumes from the newest checkpoint in the run's checkpoint directory.

Costs are the trace's: every tick a run is up is billed at its kind's price. The work
left is measured, not assumed: seconds per step from the run's own progress events
(scaled to trace hours); before the first measurement it is the rest of the deadline
minus the slack the policy would keep (half the time left).

`LocalCapacity` runs the shared entry point under torchrun on this machine. A cloud job
controller implements the same four methods (docs/spot-controller.md: on Kubernetes,
`start` creates the Job with the spot or the on-demand node pool's node selector and
toleration, `preempt` is the node's termination notice, `alive`/`completed` read the
Job's status).
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from cost.simulate import Trace
from cost.spot_policies import EPS, Action, Observation, Policy, SpotJob

AWS_NOTICE_SECONDS = 120  # EC2 spot interruption notice


class Capacity(Protocol):
    def start(self, kind: Action) -> None: ...
    def preempt(self, notice_seconds: float) -> None: ...
    def alive(self) -> bool: ...
    def completed(self) -> bool: ...


class LocalCapacity:
    """Local torchrun processes standing in for spot and on-demand instances."""

    def __init__(self, nproc: int, train_args: list[str], output_dir: Path, max_steps: int):
        self.nproc, self.train_args, self.output_dir = nproc, train_args, output_dir
        self.max_steps = max_steps
        self.run: Any = None
        self.reader: threading.Thread | None = None
        self.step = 0
        self.step_seconds: float | None = None  # measured wall seconds per step
        self.summary: dict[str, Any] | None = None
        self.resumed_from: list[int | None] = []
        self._first: tuple[float, int] | None = None

    def start(self, kind: Action) -> None:
        from training.backends.local import LocalRun

        self.run = LocalRun(self.nproc, self.train_args, self.output_dir).start()
        self._first = None
        self.reader = threading.Thread(target=self._read, args=(self.run,), daemon=True)
        self.reader.start()

    def _read(self, run: Any) -> None:
        for ev in run.events():
            if ev.get("event") == "start":
                self.resumed_from.append(ev.get("resumed_from"))
            if "step" in ev and "event" not in ev:
                now, step = time.monotonic(), int(ev["step"])
                self.step = max(self.step, step)
                if self._first is None:
                    self._first = (now, step)
                elif step > self._first[1]:
                    self.step_seconds = (now - self._first[0]) / (step - self._first[1])

    def _finish(self) -> None:
        from training.backends.local import LocalRunError

        if self.reader is not None:
            self.reader.join()
        try:
            self.summary = self.run.wait()
            self.step = max(self.step, int(self.summary.get("final_step") or 0))
        except LocalRunError:
            self.summary = None  # killed before it could write one
        self.run = self.reader = None

    def preempt(self, notice_seconds: float) -> None:
        if self.run is None:
            return
        self.run.interrupt()
        deadline = time.monotonic() + notice_seconds
        while self.run.process.poll() is None and time.monotonic() < deadline:
            time.sleep(0.05)
        self.run.kill()  # a no-op if it checkpointed and left in time
        self._finish()

    def alive(self) -> bool:
        if self.run is None:
            return False
        if self.run.process.poll() is not None:
            self._finish()
            return False
        return True

    def completed(self) -> bool:
        return (
            not self.alive()
            and self.summary is not None
            and self.summary.get("status") == "completed"
        )


@dataclass
class ControllerResult:
    cost_usd: float = 0.0
    deadline_met: bool = False
    finish_hours: float | None = None
    spot_hours: float = 0.0
    on_demand_hours: float = 0.0
    starts: int = 0
    preemptions: int = 0
    actions: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        d = dict(self.__dict__)
        d["cost_usd"] = round(self.cost_usd, 4)
        return d


def control(
    trace: Trace,
    policy: Policy,
    capacity: LocalCapacity,
    time_scale: float,
    deadline_hours: float | None = None,
    on_demand_price: float = 3.06,
    spot_price: float = 0.97,
    restart_hours: float | None = None,
    notice_seconds: float = AWS_NOTICE_SECONDS,
    sleep: Any = time.sleep,
) -> ControllerResult:
    """Replay `trace` (one tick = gap / time_scale wall seconds) until the run completes;
    past the deadline the run finishes on on-demand and `deadline_met` is False."""
    g = trace.gap_seconds / 3600
    ticks = len(trace.available)
    deadline = deadline_hours if deadline_hours is not None else ticks * g
    d_ticks = min(ticks, int(deadline / g + EPS))
    r = restart_hours if restart_hours is not None else g
    job = SpotJob(deadline / 2, deadline, r, on_demand_price, spot_price)
    policy.reset(job)
    res = ControllerResult()
    running = Action.IDLE
    price = {Action.SPOT: spot_price, Action.ON_DEMAND: on_demand_price}
    tick_wall = trace.gap_seconds / time_scale
    t = 0
    while not capacity.completed():
        up = bool(trace.available[t]) if t < ticks else False
        if running is not Action.IDLE and not capacity.alive():
            running = Action.IDLE  # the run ended (completed, or crashed: restart it)
            if capacity.completed():
                break
        if running is Action.SPOT and not up:
            capacity.preempt(notice_seconds / time_scale)
            res.preemptions += 1
            running = Action.IDLE
        if t < d_ticks:
            obs = _observe(capacity, t, g, d_ticks, r, up, running, trace, time_scale)
            action = Action(policy.decide(obs))
            if action is Action.SPOT and not up:
                action = Action.IDLE
        else:
            action = Action.ON_DEMAND  # missed: finish on on-demand, its cost counted
        res.actions.append(action.value)
        if action is not running:
            if running is not Action.IDLE:
                capacity.preempt(notice_seconds / time_scale)  # a switch: checkpoint, stop
            if action is not Action.IDLE:
                capacity.start(action)
                res.starts += 1
            running = action
        sleep(tick_wall)
        if running is not Action.IDLE:
            res.cost_usd += price[running] * g
            if running is Action.SPOT:
                res.spot_hours += g
            else:
                res.on_demand_hours += g
        t += 1
        if capacity.completed():
            break
    res.finish_hours = t * g
    res.deadline_met = t <= d_ticks
    return res


def _observe(
    capacity: LocalCapacity,
    t: int,
    g: float,
    d_ticks: int,
    r: float,
    up: bool,
    running: Action,
    trace: Trace,
    time_scale: float,
) -> Observation:
    time_left = (d_ticks - t) * g
    left_steps = capacity.max_steps - capacity.step
    if capacity.step_seconds is not None:
        work_left = left_steps * capacity.step_seconds * time_scale / 3600
    else:
        work_left = time_left / 2  # nothing measured yet
    done = capacity.step / max(1, capacity.max_steps)
    return Observation(
        tick=t,
        tick_hours=g,
        elapsed_hours=t * g,
        work_done_hours=done * work_left / max(EPS, 1 - done) if done < 1 else work_left,
        work_left_hours=work_left,
        time_left_hours=time_left,
        restart_hours=r,
        spot_available=up,
        running=running,
        overhead_left_hours=r if running is Action.IDLE else 0.0,
        history=trace.available[: t + 1],
    )
