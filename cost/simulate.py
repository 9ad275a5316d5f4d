"""Replay spot availability traces to score policies against the omniscient optimum.

A trace is a list of ticks (1 = spot obtainable). Windows of the trace, evenly spaced,
each long enough for the deadline, are replayed for every policy under the model in
`cost.spot_policies`; costs are normalised to the on-demand-only cost of the same job.

Traces finer than `MIN_TICK_SECONDS` (the 32 s preemption traces) are resampled: a
coarse tick is available only if every fine tick inside it is, because a preemption
anywhere in the tick loses the instance. 32 s x 10 = 320 s ticks keep a 52 h deadline at
585 ticks, which the exact DP handles quickly.
"""

from __future__ import annotations

import json
import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from cost.spot_policies import (
    EPS,
    OPTIMUM,
    POLICIES,
    Action,
    Observation,
    Policy,
    SpotJob,
    TickModel,
    get_policy,
    optimal_cost,
)

TRACES_DIR = Path(__file__).parent / "traces"
MIN_TICK_SECONDS = 300


class TraceError(ValueError):
    """A trace that cannot be found or read; the message says what is available."""


@dataclass(frozen=True)
class Trace:
    name: str
    gap_seconds: int
    available: np.ndarray  # bool per tick

    @property
    def hours(self) -> float:
        return len(self.available) * self.gap_seconds / 3600

    @property
    def availability(self) -> float:
        return float(self.available.mean()) if len(self.available) else 0.0

    def resample(self, factor: int) -> Trace:
        """Group `factor` ticks into one; available only if all of them are."""
        if factor <= 1:
            return self
        n = len(self.available) // factor
        grouped = self.available[: n * factor].reshape(n, factor).all(axis=1)
        return Trace(self.name, self.gap_seconds * factor, np.asarray(grouped, dtype=bool))

    def for_simulation(self) -> Trace:
        return self.resample(math.ceil(MIN_TICK_SECONDS / self.gap_seconds))


def shipped_traces() -> dict[str, Path]:
    """Short name (`folder/stem`) -> path of every trace shipped in `cost/traces/`."""
    return {f"{p.parent.name}/{p.stem}": p for p in sorted(TRACES_DIR.glob("*/*.json"))}


def resolve_trace(ref: str) -> Path:
    """A file path, a shipped `folder/stem`, or a stem that is unique among shipped traces."""
    path = Path(ref)
    if path.is_file():
        return path
    shipped = shipped_traces()
    if ref in shipped:
        return shipped[ref]
    matches = [p for name, p in shipped.items() if name.split("/", 1)[1] == ref]
    if len(matches) == 1:
        return matches[0]
    names = ", ".join(shipped)
    if matches:
        raise TraceError(
            f"trace: {ref!r} is ambiguous; say which one: "
            + ", ".join(f"{p.parent.name}/{p.stem}" for p in matches)
        )
    raise TraceError(f"trace: {ref!r} is neither a file nor a shipped trace ({names})")


def load_trace(ref: str) -> Trace:
    path = resolve_trace(ref)
    try:
        doc = json.loads(path.read_text())
        gap = int(doc["metadata"]["gap_seconds"])
        data = np.asarray(doc["data"], dtype=float) > 0
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise TraceError(
            f'trace {path}: expected {{"metadata": {{"gap_seconds": N}}, "data": [1, 0, ...]}}'
            f" ({type(e).__name__}: {e})"
        ) from None
    if gap <= 0 or data.ndim != 1 or not len(data):
        raise TraceError(f"trace {path}: gap_seconds must be > 0 and data a non-empty list")
    name = f"{path.parent.name}/{path.stem}" if path.parent.parent == TRACES_DIR else path.stem
    return Trace(name, gap, data)


@dataclass
class RunResult:
    cost: float
    finish_hours: float
    missed: bool
    spot_hours: float = 0.0
    on_demand_hours: float = 0.0
    restarts: int = 0
    actions: list[Action] = field(default_factory=list)

    def bill(self, action: Action, usd_per_hour: float, hours: float) -> None:
        self.cost += usd_per_hour * hours
        if action is Action.SPOT:
            self.spot_hours += hours
        else:
            self.on_demand_hours += hours

    def finish_late(
        self, deadline_hours: float, work_left_hours: float, restart_hours: float, od_price: float
    ) -> RunResult:
        """A miss: finished on on-demand after the deadline, so a miss never looks cheap
        (`restart_hours` is 0 when already on on-demand)."""
        self.missed = True
        extra = work_left_hours + restart_hours
        self.bill(Action.ON_DEMAND, od_price, extra)
        self.finish_hours = deadline_hours + extra
        return self


def simulate(
    policy: Policy,
    available: Sequence[bool] | np.ndarray,
    job: SpotJob,
    model: TickModel,
    keep_actions: bool = False,
) -> RunResult:
    """Run one policy over one window. A miss is finished on on-demand after the deadline
    (its cost counted) and flagged, so a miss can never look cheap."""
    avail = np.asarray(available, dtype=bool)
    policy.reset(job)
    g_u, P, uh = model.tick_units, model.work_units, model.unit_hours
    done, running, ran = 0, Action.IDLE, 0  # ran = ticks the running instance has run
    res = RunResult(cost=0.0, finish_hours=math.inf, missed=False)
    price = {Action.SPOT: job.spot_price, Action.ON_DEMAND: job.on_demand_price}
    hist = avail[: model.deadline_ticks].tolist()
    view = avail[: model.deadline_ticks].copy()
    view.setflags(write=False)  # the policy may read the past, never change it
    for t in range(model.deadline_ticks):
        up = hist[t]
        if running is Action.SPOT and not up:
            running, ran = Action.IDLE, 0  # preempted
        overhead_left = (
            max(0, model.restart_units - ran * g_u)
            if running is not Action.IDLE
            else model.restart_units
        )
        obs = Observation(
            tick=t,
            tick_hours=model.tick_hours,
            elapsed_hours=t * model.tick_hours,
            work_done_hours=done * uh,
            work_left_hours=(P - done) * uh,
            time_left_hours=(model.deadline_ticks - t) * model.tick_hours,
            restart_hours=model.restart_hours,
            spot_available=up,
            running=running,
            overhead_left_hours=overhead_left * uh,
            history=view[: t + 1],
        )
        action = Action(policy.decide(obs))
        if action is Action.SPOT and not up:
            action = Action.IDLE  # a controller cannot get spot that is not there
        if keep_actions:
            res.actions.append(action)
        if action is Action.IDLE:
            running, ran = Action.IDLE, 0
            continue
        if action is not running:
            running, ran = action, 0
            res.restarts += 1
        prog = model.progress_in_tick(ran)
        ran += 1
        used = g_u if done + prog < P else (g_u - prog) + (P - done)
        res.bill(action, price[action], used * uh)
        done = min(P, done + prog)
        if done >= P:
            res.finish_hours = t * model.tick_hours + used * uh
            return res
    return res.finish_late(
        model.deadline_ticks * model.tick_hours,
        (P - done) * uh,
        0 if running is Action.ON_DEMAND else model.restart_hours,
        job.on_demand_price,
    )


def window_starts(n_ticks: int, window_ticks: int, windows: int) -> list[int]:
    """`windows` evenly spaced start ticks such that every window fits in the trace."""
    last = n_ticks - window_ticks
    if last < 0:
        return []
    if windows <= 1 or last == 0:
        return [0]
    return sorted({round(i * last / (windows - 1)) for i in range(windows)})


@dataclass
class PolicyScore:
    name: str
    costs: list[float] = field(default_factory=list)  # normalised to on-demand only
    misses: int = 0
    gaps: list[float] = field(default_factory=list)  # (cost - optimum) / optimum

    @property
    def mean_cost(self) -> float:
        return float(np.mean(self.costs)) if self.costs else math.nan

    @property
    def mean_gap(self) -> float:
        return float(np.mean(self.gaps)) if self.gaps else math.nan

    def as_dict(self) -> dict:
        return {
            "mean_cost_vs_on_demand": round(self.mean_cost, 4),
            "mean_savings_vs_on_demand": round(1 - self.mean_cost, 4),
            "mean_gap_to_optimum": round(self.mean_gap, 4),
            "deadline_misses": self.misses,
            "windows": len(self.costs),
            "window_costs": [round(c, 4) for c in self.costs],
        }


def evaluate(
    traces: Iterable[Trace], job: SpotJob, policies: Sequence[str], windows: int = 20
) -> dict[str, PolicyScore]:
    """Score policies (names from POLICIES, or 'optimum') on `windows` windows per trace."""
    for name in policies:
        if name != OPTIMUM:
            get_policy(name)  # validates the name
    scores = {name: PolicyScore(name) for name in policies}
    for trace in traces:
        tr = trace.for_simulation()
        model = TickModel.for_job(job, tr.gap_seconds)
        starts = window_starts(len(tr.available), model.deadline_ticks, windows)
        if not starts:
            raise TraceError(
                f"trace {trace.name}: {trace.hours:.0f} h is shorter than the deadline "
                f"{job.deadline_hours} h"
            )
        od_cost = job.on_demand_price * (model.work_units + model.restart_units) * model.unit_hours
        for s in starts:
            window = tr.available[s : s + model.deadline_ticks]
            opt = optimal_cost(window, job, model)
            for name in policies:
                if name == OPTIMUM:
                    cost, missed = opt, False
                else:
                    r = simulate(get_policy(name), window, job, model)
                    cost, missed = r.cost, r.missed
                sc = scores[name]
                sc.costs.append(cost / od_cost)
                sc.misses += missed
                sc.gaps.append((cost - opt) / opt if opt > EPS else 0.0)
    return scores


DEFAULT_POLICIES = (*POLICIES, OPTIMUM)
