"""Spot across several zones or regions: the job model, the simulator, the baselines and
the exact multi-location optimum.

The single-zone model of `cost.spot_policies` with a location added:

* Traces of several zones are aligned in time (same tick, cut to the shortest). Each
  zone has its own spot and on-demand price; on-demand is available in every zone.
* The job's checkpoint lives where it last ran. Starting anywhere else is a migration:
  the restart overhead ``R`` plus ``M`` hours to move the last checkpoint (its size over
  the bandwidth), both paid time with no progress, plus the egress price of the
  checkpoint when the two zones are in different regions. The very first start has no
  checkpoint to move.
* Everything else (ticks, integer progress units, preemption in the first tick spot is
  gone, billing of the last tick) is exactly the single-zone model, so the dynamic
  program below is a true lower bound for every multi-zone policy, and with one zone and
  no moves it is the single-zone optimum.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cost.simulate import PolicyScore, RunResult, Trace, TraceError, simulate, window_starts
from cost.spot_policies import (
    EPS,
    Action,
    Observation,
    PioneerPolicy,
    SpotJob,
    TickModel,
    UniformProgress,
    _must_go_on_demand,
    optimal_cost,
)

# AWS data transfer between regions, $/GB (EC2 on-demand pricing page, "Data Transfer",
# 2025; us-east-1 <-> us-east-2 is $0.01). Between zones of one region the checkpoint
# stays in the same regional bucket: no egress.
DEFAULT_EGRESS_USD_PER_GIB = 0.02


@dataclass(frozen=True)
class Zone:
    name: str  # e.g. us-west-2a
    spot_price: float
    on_demand_price: float

    @property
    def region(self) -> str:
        # AWS zone names are the region plus one letter (us-west-2a -> us-west-2).
        return self.name[:-1] if self.name[-1:].isalpha() else self.name


@dataclass(frozen=True)
class MultiZoneJob:
    work_hours: float
    deadline_hours: float
    restart_hours: float
    zones: tuple[Zone, ...]
    migration_hours: float = 0.0  # moving the last checkpoint: size / bandwidth
    checkpoint_gib: float = 0.0
    egress_usd_per_gib: float = DEFAULT_EGRESS_USD_PER_GIB

    def __post_init__(self) -> None:
        problems = []
        if not self.zones:
            problems.append("zones: give at least one trace")
        if not self.migration_hours >= 0:
            problems.append(f"migration_hours must be >= 0 (got {self.migration_hours})")
        if not (self.checkpoint_gib >= 0 and self.egress_usd_per_gib >= 0):
            problems.append("checkpoint_gib and egress_usd_per_gib must be >= 0")
        if problems:
            raise ValueError("; ".join(problems))
        for z in self.zones:  # the single-zone checks, once per zone
            self.zone_job(z)

    def zone_job(self, zone: Zone) -> SpotJob:
        return SpotJob(
            self.work_hours,
            self.deadline_hours,
            self.restart_hours,
            zone.on_demand_price,
            zone.spot_price,
        )

    def move_usd(self, src: int, dst: int) -> float:
        if self.zones[src].region == self.zones[dst].region:
            return 0.0
        return self.checkpoint_gib * self.egress_usd_per_gib


@dataclass(frozen=True)
class MultiModel:
    """The tick model (from the single-zone one) plus the migration in progress units."""

    tick: TickModel
    migration_units: int

    @classmethod
    def for_job(cls, job: MultiZoneJob, tick_seconds: int) -> MultiModel:
        """The unit divides the tick, R and M (as in `TickModel.for_job`, rounded to a
        divisor of the tick not finer than 1/24 tick); the deadline check is the same."""
        base = TickModel.for_job(job.zone_job(job.zones[0]), tick_seconds)
        m_s = round(job.migration_hours * 3600)
        unit = math.gcd(base.unit_seconds, m_s) if m_s else base.unit_seconds
        if tick_seconds // unit > 24:
            unit = base.unit_seconds  # M rounded to the restart's unit
        tick = TickModel(
            tick_seconds=tick_seconds,
            unit_seconds=unit,
            tick_units=tick_seconds // unit,
            restart_units=round(base.restart_units * base.unit_seconds / unit),
            work_units=math.ceil(job.work_hours * 3600 / unit - EPS),
            deadline_ticks=base.deadline_ticks,
        )
        return cls(tick, round(m_s / unit))


@dataclass(frozen=True)
class MultiObservation:
    """The single-zone observation of the zone holding the checkpoint, plus every zone's
    availability now and in the past (never the future)."""

    here: Observation  # of the checkpoint's zone (zone 0 before the first start)
    location: int | None  # zone of the checkpoint; None before the first start
    available: tuple[bool, ...]  # per zone, this tick
    history: np.ndarray  # ticks 0..tick x zones, read-only
    migration_hours: float


@dataclass(frozen=True)
class Decision:
    action: Action
    zone: int  # where to run (ignored for IDLE)


class MultiPolicy:
    name = "multi_policy"

    def reset(self, job: MultiZoneJob) -> None:
        self.job = job

    def decide(self, obs: MultiObservation) -> Decision:  # pragma: no cover - interface
        raise NotImplementedError


def _safety(obs: MultiObservation) -> bool:
    return _must_go_on_demand(obs.here)


def _cheapest_up(obs: MultiObservation, job: MultiZoneJob) -> int | None:
    up = [i for i, a in enumerate(obs.available) if a]
    return min(up, key=lambda i: job.zones[i].spot_price) if up else None


class GreedyMover(MultiPolicy):
    """Go where spot is up: stay while the zone holding the job has spot, else move to the
    cheapest zone with spot, else wait; on-demand for good at Greedy's safety net."""

    name = "greedy_mover"

    def reset(self, job: MultiZoneJob) -> None:
        super().reset(job)
        self.committed = False

    def decide(self, obs: MultiObservation) -> Decision:
        here = obs.location if obs.location is not None else 0
        if self.committed or _safety(obs):
            self.committed = True
            return Decision(Action.ON_DEMAND, here)
        if obs.available[here]:
            return Decision(Action.SPOT, here)
        dst = _cheapest_up(obs, self.job)
        return Decision(Action.SPOT, dst) if dst is not None else Decision(Action.IDLE, here)


class PioneerMulti(MultiPolicy):
    """pioneer across zones: stay on spot where the job is; when it is lost, move to a zone
    with spot if the slack pays the move (R + M, plus one tick of margin and the two
    changeovers a later loss would cost); otherwise pioneer's single-zone rule (wait or
    on-demand) in the zone holding the checkpoint. Leaves on-demand for spot anywhere only
    for spot that was already up last tick and when the slack pays the move and a return."""

    name = "pioneer"

    def reset(self, job: MultiZoneJob) -> None:
        super().reset(job)
        self.single = PioneerPolicy()
        self.single.reset(job.zone_job(job.zones[0]))

    def decide(self, obs: MultiObservation) -> Decision:
        o = obs.here
        here = obs.location if obs.location is not None else 0
        single = self.single.decide(o)  # learns from the checkpoint zone's history
        if _safety(obs):
            return Decision(Action.ON_DEMAND, here)
        if obs.available[here]:
            return Decision(single, here)  # spot, or staying on on-demand (its anti-thrash)
        r, g, m = o.restart_hours, o.tick_hours, obs.migration_hours
        confirmed = [
            i
            for i, a in enumerate(obs.available)
            if a and (len(obs.history) < 2 or obs.history[-2, i])
        ]
        if confirmed and o.slack_hours >= (r + m) + 2 * r + g - EPS:
            # Where spot has been up most of the window so far, per dollar: the zone most
            # likely to keep it (the past only).
            seen = obs.history.mean(axis=0)
            zones = self.job.zones
            dst = max(confirmed, key=lambda i: (seen[i] / zones[i].spot_price, -i))
            return Decision(Action.SPOT, dst)
        return Decision(single, here)


MULTI_POLICIES: dict[str, type[MultiPolicy]] = {p.name: p for p in (GreedyMover, PioneerMulti)}


def align(traces: Sequence[Trace]) -> tuple[int, np.ndarray]:
    """Traces of several zones on one clock: (tick seconds, ticks x zones), cut to the
    shortest. All must have the same tick (they are resampled for simulation first)."""
    ts = [t.for_simulation() for t in traces]
    gaps = {t.gap_seconds for t in ts}
    if len(gaps) != 1:
        raise TraceError(
            "trace: multi-zone traces must share one tick; got "
            + ", ".join(f"{t.name} {t.gap_seconds} s" for t in ts)
        )
    n = min(len(t.available) for t in ts)
    return gaps.pop(), np.stack([t.available[:n] for t in ts], axis=1)


def simulate_multi(
    policy: MultiPolicy, avail: np.ndarray, job: MultiZoneJob, model: MultiModel
) -> RunResult:
    """One multi-zone policy over one window (ticks x zones); misses are finished on
    on-demand after the deadline in the checkpoint's zone, their cost counted."""
    tm = model.tick
    policy.reset(job)
    g_u, P, uh, R = tm.tick_units, tm.work_units, tm.unit_hours, tm.restart_units
    M = model.migration_units
    done, running, loc, over = 0, Action.IDLE, None, R  # over = overhead units left
    res = RunResult(cost=0.0, finish_hours=math.inf, missed=False)
    view = avail[: tm.deadline_ticks].copy()
    view.setflags(write=False)
    for t in range(tm.deadline_ticks):
        up = view[t]
        here = loc if loc is not None else 0
        if running is Action.SPOT and not up[here]:
            running = Action.IDLE  # preempted
        obs_here = Observation(
            tick=t,
            tick_hours=tm.tick_hours,
            elapsed_hours=t * tm.tick_hours,
            work_done_hours=done * uh,
            work_left_hours=(P - done) * uh,
            time_left_hours=(tm.deadline_ticks - t) * tm.tick_hours,
            restart_hours=tm.restart_hours,
            spot_available=bool(up[here]),
            running=running,
            overhead_left_hours=(over if running is not Action.IDLE else R) * uh,
            history=view[: t + 1, here],
        )
        d = policy.decide(
            MultiObservation(obs_here, loc, tuple(bool(a) for a in up), view[: t + 1], M * uh)
        )
        action, zone = Action(d.action), d.zone
        if action is Action.SPOT and not up[zone]:
            action = Action.IDLE
        if action is Action.IDLE:
            running = Action.IDLE
            continue
        if action is not running or zone != loc:
            moved = loc is not None and zone != loc
            over = R + (M if moved else 0)
            if moved:
                res.cost += job.move_usd(loc, zone)  # type: ignore[arg-type]
            running, loc = action, zone
            res.restarts += 1
        prog = g_u - min(g_u, over)
        over = max(0, over - g_u)
        used = g_u if done + prog < P else (g_u - prog) + (P - done)
        z = job.zones[zone]
        price = z.spot_price if action is Action.SPOT else z.on_demand_price
        res.bill(action, price, used * uh)
        done = min(P, done + prog)
        if done >= P:
            res.finish_hours = t * tm.tick_hours + used * uh
            return res
    return res.finish_late(
        tm.deadline_ticks * tm.tick_hours,
        (P - done) * uh,
        0 if running is Action.ON_DEMAND else tm.restart_hours,
        job.zones[loc if loc is not None else 0].on_demand_price,
    )


def multi_optimal_cost(avail: np.ndarray, job: MultiZoneJob, model: MultiModel) -> float:
    """The omniscient multi-location optimum: exact DP backwards over ticks x progress x
    (checkpoint zone, idle | spot | on-demand, restart/migration overhead still to pay)."""
    tm = model.tick
    T, P, g_u, uh = tm.deadline_ticks, tm.work_units, tm.tick_units, tm.unit_hours
    R, M = tm.restart_units, model.migration_units
    if len(avail) < T:
        raise ValueError(f"trace window has {len(avail)} ticks, the deadline needs {T}")
    Z = len(job.zones)
    # Overhead values a running instance can be in: R or R+M at start, minus whole ticks.
    levels = sorted({max(0, o - i * g_u) for o in (R, R + M) for i in range(o // g_u + 2)})
    at = {o: i for i, o in enumerate(levels)}
    p = np.arange(P + 1)
    steps = []  # per overhead level: (billed units, next progress index, finishes, next level)
    for o in levels:
        prog = g_u - min(g_u, o)
        nxt = p + prog
        finish = nxt >= P
        used = np.where(finish, (g_u - prog) + (P - p), g_u) * uh
        steps.append((used, np.minimum(nxt, P), finish, at[max(0, o - g_u)]))
    kinds: tuple[Action, ...] = (Action.SPOT, Action.ON_DEMAND)
    price = {
        (k, z): (job.zones[z].spot_price if k is Action.SPOT else job.zones[z].on_demand_price)
        for k in kinds
        for z in range(Z)
    }
    move = np.array([[job.move_usd(a, b) for b in range(Z)] for a in range(Z)])
    inf = np.inf
    done = np.where(p >= P, 0.0, inf)
    idle = [done] * Z
    run: dict[tuple[Action, int], list[np.ndarray]] = {
        (k, z): [done] * len(levels) for k in kinds for z in range(Z)
    }
    for t in range(T - 1, -1, -1):
        up = avail[t]

        def take(k: Action, z: int, li: int, nxt_run: dict = run) -> np.ndarray:
            """Cost-to-go of running k in z this tick at overhead level li."""
            used, nxt, finish, nl = steps[li]
            return price[(k, z)] * used + np.where(finish, 0.0, nxt_run[(k, z)][nl][nxt])

        # Cost of starting kind k in zone z now, from a checkpoint that needs no move
        # (level R) or one that does (level R+M).
        start_here = {(k, z): take(k, z, at[R]) for k in kinds for z in range(Z)}
        start_moved = {(k, z): take(k, z, at[R + M]) for k in kinds for z in range(Z)}
        base = []
        for src in range(Z):
            best = idle[src]
            for k in kinds:
                for z in range(Z):
                    if k is Action.SPOT and not up[z]:
                        continue
                    c = start_here[(k, z)] if z == src else start_moved[(k, z)] + move[src, z]
                    best = np.minimum(best, c)
            best = np.where(p >= P, 0.0, best)
            base.append(best)
        new_run: dict[tuple[Action, int], list[np.ndarray]] = {}
        for k in kinds:
            for z in range(Z):
                if k is Action.SPOT and not up[z]:
                    new_run[(k, z)] = [base[z]] * len(levels)
                else:
                    new_run[(k, z)] = [
                        np.minimum(base[z], take(k, z, li)) for li in range(len(levels))
                    ]
        idle, run = base, new_run
    return float(min(v[0] for v in idle))


UP_BEST_ZONE = "uniform_progress_best_zone"
SINGLE_OPTIMUM = "optimum_best_zone"
MULTI_OPTIMUM = "optimum_multi_zone"
MULTI_ROWS = (UP_BEST_ZONE, SINGLE_OPTIMUM, *MULTI_POLICIES, MULTI_OPTIMUM)


def evaluate_multi(
    traces: Sequence[Trace], job: MultiZoneJob, windows: int = 10
) -> dict[str, PolicyScore]:
    """Every multi-zone row on `windows` windows of the aligned traces. The best-zone rows
    pick, per window and in hindsight, the zone where that row is cheapest (generous to
    the single-zone baselines)."""
    gap, avail = align(traces)
    model = MultiModel.for_job(job, gap)
    tm = model.tick
    starts = window_starts(len(avail), tm.deadline_ticks, windows)
    if not starts:
        raise TraceError(
            f"trace: the aligned traces ({len(avail) * gap / 3600:.0f} h) are shorter than "
            f"the deadline {job.deadline_hours} h"
        )
    od_cost = (
        min(z.on_demand_price for z in job.zones)
        * (tm.work_units + tm.restart_units)
        * tm.unit_hours
    )
    scores = {n: PolicyScore(n) for n in MULTI_ROWS}
    for s in starts:
        w = avail[s : s + tm.deadline_ticks]
        opt = multi_optimal_cost(w, job, model)
        row = {
            MULTI_OPTIMUM: (opt, False),
            SINGLE_OPTIMUM: (
                min(optimal_cost(w[:, i], job.zone_job(z), tm) for i, z in enumerate(job.zones)),
                False,
            ),
        }
        ups = [
            simulate(UniformProgress(), w[:, i], job.zone_job(z), tm)
            for i, z in enumerate(job.zones)
        ]
        best_up = min(ups, key=lambda r: r.cost)
        row[UP_BEST_ZONE] = (best_up.cost, best_up.missed)
        for name, cls in MULTI_POLICIES.items():
            r = simulate_multi(cls(), w, job, model)
            row[name] = (r.cost, r.missed)
        for name, (cost, missed) in row.items():
            sc = scores[name]
            sc.costs.append(cost / od_cost)
            sc.gaps.append((cost - opt) / opt if opt > EPS else 0.0)
            sc.misses += missed
    return scores


def zones_for(
    traces: Sequence[Trace], spot_prices: Sequence[float], on_demand_prices: Sequence[float]
) -> tuple[Zone, ...]:
    """One zone per trace, named by the trace's zone (file stem before the first `_`)."""
    n = len(traces)

    def per_trace(values: Sequence[float], what: str) -> list[float]:
        if len(values) == 1:
            return list(values) * n
        if len(values) != n:
            raise ValueError(f"{what}: give one price or one per trace ({n}); got {len(values)}")
        return list(values)

    sp, od = per_trace(spot_prices, "spot_price"), per_trace(on_demand_prices, "on_demand_price")
    names = [t.name.rsplit("/", 1)[-1].split("_", 1)[0] for t in traces]
    return tuple(Zone(nm, s, o) for nm, s, o in zip(names, sp, od, strict=True))
