"""Runtime spot policies under a deadline, and the omniscient optimum.

The model (shared exactly by the simulator and the dynamic program, so the optimum
is a true lower bound for every policy):

* Time runs in ticks of ``g`` hours (the trace's tick). In each tick the job runs on
  spot, on on-demand, or waits (idle). Spot can be used in a tick only if the trace
  says spot is available in that tick; on-demand is always available.
* Every (re)start of an instance - the first start, a start after a preemption, and
  every switch between spot and on-demand - costs a restart overhead of ``R`` hours:
  paid time with no progress. A spot instance is lost (preempted) in the first tick
  its availability is 0.
* Progress is counted in integer *units* (a common divisor of ``g`` and ``R``), so
  the dynamic program is exact; the job needs ``C`` hours of work by the deadline
  ``D``. The last tick is billed only for the part used.

A policy sees only the past and the present of the trace (``Observation.history``
ends at the current tick). It returns SPOT, ON_DEMAND or IDLE for the current tick.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum

import numpy as np

EPS = 1e-9


class Action(StrEnum):
    SPOT = "spot"
    ON_DEMAND = "on_demand"
    IDLE = "idle"


@dataclass(frozen=True)
class SpotJob:
    """A job to finish before a deadline: C hours of work, D hours of time, R per restart."""

    work_hours: float
    deadline_hours: float
    restart_hours: float
    on_demand_price: float = 3.06
    spot_price: float = 0.97

    def __post_init__(self) -> None:
        problems = []
        if not self.work_hours > 0:
            problems.append(f"job_hours must be > 0 (got {self.work_hours})")
        if not self.restart_hours >= 0:
            problems.append(f"restart_hours must be >= 0 (got {self.restart_hours})")
        if not self.deadline_hours >= self.work_hours + self.restart_hours:
            problems.append(
                f"deadline_hours must be >= job_hours + restart_hours "
                f"({self.work_hours} + {self.restart_hours}); got {self.deadline_hours}"
            )
        if not (self.on_demand_price > 0 and self.spot_price >= 0):
            problems.append("on_demand_price must be > 0 and spot_price >= 0")
        if problems:
            raise ValueError("; ".join(problems))


@dataclass(frozen=True)
class TickModel:
    """The job discretised on a trace's tick: every quantity in integer progress units."""

    tick_seconds: int
    unit_seconds: int
    tick_units: int  # g
    restart_units: int  # R (rounded to a unit; see `for_job`)
    work_units: int  # C
    deadline_ticks: int  # D (whole ticks; a partial last tick is not usable)

    @property
    def unit_hours(self) -> float:
        return self.unit_seconds / 3600

    @property
    def tick_hours(self) -> float:
        return self.tick_seconds / 3600

    @property
    def restart_hours(self) -> float:
        return self.restart_units * self.unit_hours

    @property
    def overhead_ticks(self) -> int:
        """J: after this many ticks of running, an instance has paid its whole restart."""
        return max(1, math.ceil(self.restart_units / self.tick_units))

    def progress_in_tick(self, ticks_running: int) -> int:
        """Units of progress in a tick for an instance that has run `ticks_running` before."""
        overhead_left = max(0, self.restart_units - ticks_running * self.tick_units)
        return self.tick_units - min(self.tick_units, overhead_left)

    @classmethod
    def for_job(cls, job: SpotJob, tick_seconds: int, max_units_per_tick: int = 24) -> TickModel:
        """Pick the unit as gcd(tick, R) in seconds; if that is finer than 1/24 tick, use the
        coarsest divisor of the tick not above tick/24 and round R to it (documented
        approximation; the DP stays exact for the rounded model)."""
        r_s = round(job.restart_hours * 3600)
        unit = math.gcd(tick_seconds, r_s) if r_s else tick_seconds
        if tick_seconds // unit > max_units_per_tick:
            k = next(
                k for k in range(max_units_per_tick, tick_seconds + 1) if tick_seconds % k == 0
            )
            unit = tick_seconds // k
        model = cls(
            tick_seconds=tick_seconds,
            unit_seconds=unit,
            tick_units=tick_seconds // unit,
            restart_units=round(r_s / unit),
            work_units=math.ceil(job.work_hours * 3600 / unit - EPS),
            deadline_ticks=int((job.deadline_hours * 3600 + 1e-6) // tick_seconds),
        )
        usable = model.deadline_ticks * model.tick_units
        if usable < model.work_units + model.restart_units:
            raise ValueError(
                f"deadline_hours: {job.deadline_hours} h is {model.deadline_ticks} whole "
                f"{tick_seconds} s ticks, too short for job_hours + restart_hours on on-demand"
            )
        return model


@dataclass(frozen=True)
class Observation:
    """What a controller knows at the start of a tick: the past and the present only."""

    tick: int
    tick_hours: float
    elapsed_hours: float
    work_done_hours: float
    work_left_hours: float
    time_left_hours: float
    restart_hours: float
    spot_available: bool
    running: Action  # the instance kind up at the start of this tick (IDLE if none)
    overhead_left_hours: float  # restart overhead the running instance still has to pay
    history: Sequence[bool] | np.ndarray  # availability of ticks 0..tick, never the future

    @property
    def slack_hours(self) -> float:
        """Time that can still be lost before the deadline (with no restart pending)."""
        return self.time_left_hours - self.work_left_hours


class Policy:
    """Base class: `reset` before a run, then `decide` once per tick."""

    name = "policy"

    def reset(self, job: SpotJob) -> None:
        self.job = job

    def decide(self, obs: Observation) -> Action:  # pragma: no cover - interface
        raise NotImplementedError


def _must_go_on_demand(obs: Observation) -> bool:
    """Safety net: if this tick made no progress, could on-demand still finish in time?

    After an unproductive tick, an on-demand start needs work_left + R hours. When on
    on-demand already, staying costs nothing extra, so the test is for leaving it.
    """
    return obs.time_left_hours - obs.tick_hours < obs.work_left_hours + obs.restart_hours - EPS


class OnDemandOnly(Policy):
    name = "on_demand"

    def decide(self, obs: Observation) -> Action:
        return Action.ON_DEMAND


class Greedy(Policy):
    """Spot whenever available, else wait; on-demand for good once remaining time is at
    most remaining work + restart overhead (checked one tick ahead, as ticks are discrete)."""

    name = "greedy"

    def reset(self, job: SpotJob) -> None:
        super().reset(job)
        self.committed = False

    def decide(self, obs: Observation) -> Action:
        if self.committed or _must_go_on_demand(obs):
            self.committed = True
            return Action.ON_DEMAND
        return Action.SPOT if obs.spot_available else Action.IDLE


class UniformProgress(Policy):
    """Keep progress at or above the line C*t/D (Can't Be Late, NSDI'24).

    * spot available: use it, unless on on-demand and not yet ahead of the line by the
      hysteresis band (2R) - switching back costs R, so a policy just on the line would
      fall behind again at once and thrash;
    * spot unavailable: on-demand if progress would be below the line at the end of this
      tick (or we are on on-demand inside the band), otherwise wait;
    * safety net: Greedy's rule, on-demand once remaining time <= remaining work + R.
    """

    name = "uniform_progress"

    def decide(self, obs: Observation) -> Action:
        if _must_go_on_demand(obs):
            return Action.ON_DEMAND
        job = self.job
        rate = job.work_hours / job.deadline_hours
        target_next = rate * (obs.elapsed_hours + obs.tick_hours)
        band = 2 * obs.restart_hours
        on_od = obs.running is Action.ON_DEMAND
        if obs.spot_available:
            if on_od and obs.work_done_hours < target_next + band - EPS:
                return Action.ON_DEMAND
            return Action.SPOT
        behind = obs.work_done_hours < target_next - EPS
        if behind or (on_od and obs.work_done_hours < target_next + band - EPS):
            return Action.ON_DEMAND
        return Action.IDLE


class PioneerPolicy(Policy):
    """pioneer's controller: spend slack only where it buys spot time, keep what the
    future will need, and never risk the deadline.

    * Reserve: the slack kept for future changeovers = (expected outages in the time
      left) x 2R + one tick. The outage rate is learned from the trace seen so far
      (1->0 transitions per elapsed hour) with a prior of one outage per 2 h worth 48 h
      of observation, so a quiet start does not tempt it to idle its slack away.
    * Spot unavailable: wait while slack - tick >= reserve + R; otherwise on-demand.
    * Spot available: use it; but if on on-demand, switch back only if spot was already up
      in the previous tick (debounce), the slack pays for the two changeovers a new outage
      would cost (slack >= 2R + tick), and the learned mean spot run (capped at the work
      left) saves more than two changeovers cost (anti-thrash).
    * Safety net: Greedy's rule, so the deadline is never missed.
    """

    name = "pioneer"
    prior_hours = 8.0  # prior mean available run (one pseudo-observation)
    prior_outage_every = 2.0  # prior: one outage per this many hours ...
    prior_weight_hours = 48.0  # ... worth this many hours of observation

    def reset(self, job: SpotJob) -> None:
        super().reset(job)
        self._seen = 0
        self._up_ticks = 0
        self._drops = 0
        self._prev: bool | None = None

    def _learn(self, obs: Observation) -> None:
        # Consume the history incrementally: O(1) per tick.
        hist = obs.history
        for i in range(self._seen, len(hist)):
            now = bool(hist[i])
            if self._prev is True and not now:
                self._drops += 1
            self._up_ticks += now
            self._prev = now
        self._seen = len(hist)

    def mean_up_hours(self, tick_hours: float) -> float:
        return (self._up_ticks * tick_hours + self.prior_hours) / (self._drops + 1)

    def outages_per_hour(self, elapsed_hours: float) -> float:
        prior = self.prior_weight_hours / self.prior_outage_every
        return (self._drops + prior) / (elapsed_hours + self.prior_weight_hours)

    def decide(self, obs: Observation) -> Action:
        self._learn(obs)
        if _must_go_on_demand(obs):
            return Action.ON_DEMAND
        r, g = obs.restart_hours, obs.tick_hours
        job = self.job
        expected_outages = self.outages_per_hour(obs.elapsed_hours) * obs.time_left_hours
        reserve = expected_outages * 2 * r + g
        if obs.spot_available:
            if obs.running is not Action.ON_DEMAND:
                return Action.SPOT
            run = min(self.mean_up_hours(g), obs.work_left_hours)
            saving = run * (job.on_demand_price - job.spot_price)
            changeovers = r * (job.spot_price + job.on_demand_price)
            # Debounce: leave on-demand only for spot that was already up last tick, so a
            # flapping zone does not cost two changeovers per blip.
            confirmed = len(obs.history) >= 2 and bool(obs.history[-2])
            if confirmed and obs.slack_hours >= 2 * r + g - EPS and saving > 2 * changeovers:
                return Action.SPOT
            return Action.ON_DEMAND
        if obs.slack_hours - g >= reserve + r - EPS:
            return Action.IDLE
        return Action.ON_DEMAND


POLICIES: dict[str, type[Policy]] = {
    p.name: p for p in (OnDemandOnly, Greedy, UniformProgress, PioneerPolicy)
}
OPTIMUM = "optimum"


def get_policy(name: str) -> Policy:
    try:
        return POLICIES[name]()
    except KeyError:
        allowed = ", ".join([*POLICIES, OPTIMUM])
        raise ValueError(f"policy: {name!r} is not one of {allowed}") from None


def optimal_cost(available: Sequence[bool] | np.ndarray, job: SpotJob, model: TickModel) -> float:
    """The omniscient optimum: least cost to finish by the deadline knowing the whole trace.

    Exact dynamic program over ticks x progress units x instance state, backwards from
    the deadline. States: idle, and (spot|on-demand, ticks running 1..J), where J ticks
    pay the whole restart. Returns inf if no schedule meets the deadline.
    """
    avail = np.asarray(available, dtype=bool)
    T, P = model.deadline_ticks, model.work_units
    if len(avail) < T:
        raise ValueError(f"trace window has {len(avail)} ticks, the deadline needs {T}")
    J = model.overhead_ticks
    g_u = model.tick_units
    prices = {Action.SPOT: job.spot_price, Action.ON_DEMAND: job.on_demand_price}
    p = np.arange(P + 1)
    kinds = (Action.SPOT, Action.ON_DEMAND)
    # V[kind][j] for running states (j = ticks already run, 1..J), plus idle.
    inf = np.inf
    idle = np.where(p >= P, 0.0, inf)
    run: dict[Action, list[np.ndarray]] = {k: [idle] * (J + 1) for k in kinds}
    # Per j (ticks run before this tick): progress, and the cost of a tick per price unit.
    prog = [model.progress_in_tick(j) for j in range(J + 1)]
    step_cost = []  # (cost per price unit for each p, next index, finishes mask)
    for j in range(J + 1):
        nxt = p + prog[j]
        finish = nxt >= P
        used = np.where(finish, (g_u - prog[j]) + (P - p), g_u) * model.unit_hours
        step_cost.append((used, np.minimum(nxt, P), finish))
    for t in range(T - 1, -1, -1):
        up = bool(avail[t])

        def take(kind: Action, j: int, _run: dict[Action, list[np.ndarray]] = run) -> np.ndarray:
            """Cost-to-go of running `kind` this tick, having run it `j` ticks before."""
            used, nxt, finish = step_cost[j]
            cont = _run[kind][min(j + 1, J)][nxt]
            return prices[kind] * used + np.where(finish, 0.0, cont)

        start_spot = take(Action.SPOT, 0) if up else np.full(P + 1, inf)
        # Idle, or (re)start either kind; finished states (p = P) stay at 0.
        base = np.minimum(idle, np.minimum(start_spot, take(Action.ON_DEMAND, 0)))
        new_run: dict[Action, list[np.ndarray]] = {}
        for k in kinds:
            if k is Action.SPOT and not up:
                new_run[k] = [base] * (J + 1)  # preempted: the same as idle
            else:  # index 0 is never read; it holds `base` to keep indices aligned
                new_run[k] = [base] + [np.minimum(base, take(k, j)) for j in range(1, J + 1)]
        idle, run = base, new_run
    return float(idle[0])
