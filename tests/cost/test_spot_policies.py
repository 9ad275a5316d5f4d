"""Spot policies: the paper's rules on hand-made traces, deadlines, and the exact optimum."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from cost.simulate import simulate
from cost.spot_policies import (
    POLICIES,
    Action,
    Greedy,
    Observation,
    PioneerPolicy,
    Policy,
    SpotJob,
    TickModel,
    UniformProgress,
    get_policy,
    optimal_cost,
)

S, D, W = Action.SPOT, Action.ON_DEMAND, Action.IDLE  # spot, on-demand, wait
HALF_HOUR = 1800


def run(policy, trace, job, tick=HALF_HOUR):
    model = TickModel.for_job(job, tick)
    return simulate(policy, [bool(x) for x in trace], job, model, keep_actions=True)


class Scripted(Policy):
    name = "scripted"

    def __init__(self, actions):
        self.actions = list(actions)

    def decide(self, obs: Observation) -> Action:
        return self.actions[obs.tick]


def test_tick_model_units():
    m = TickModel.for_job(SpotJob(48, 52, 0.1), 600)
    assert (m.unit_seconds, m.tick_units, m.restart_units) == (120, 5, 3)
    assert (m.work_units, m.deadline_ticks) == (1440, 312)
    assert m.progress_in_tick(0) == 2 and m.progress_in_tick(1) == 5
    coarse = TickModel.for_job(SpotJob(2, 4, 0.75), 1800)  # R longer than a tick
    assert coarse.overhead_ticks == 2
    assert [coarse.progress_in_tick(j) for j in range(3)] == [0, 1, 2]
    with pytest.raises(ValueError, match="deadline_hours"):
        TickModel.for_job(SpotJob(2.0, 2.2, 0.1), 1800)  # 4 whole ticks < 2.1 h


def test_greedy_waits_then_commits_to_on_demand_for_good():
    job = SpotJob(2.0, 3.0, 0.0)
    r = run(Greedy(), [0, 1, 1, 0, 0, 1], job)
    # t3: time left 1.5 h - 0.5 = 1.0 h still covers 1.0 h of work -> wait;
    # t4: it would not -> on-demand, and it stays there although spot returns at t5.
    assert r.actions == [W, S, S, W, D, D]
    assert not r.missed and r.finish_hours == pytest.approx(3.0)
    assert r.cost == pytest.approx(1.0 * 0.97 + 1.0 * 3.06)


def test_greedy_counts_restart_overhead():
    job = SpotJob(1.5, 3.0, 0.5)
    r = run(Greedy(), [1, 1, 0, 0, 0, 0], job)
    # spot start (overhead) + 0.5 h; preempted; wait while 1.0 h work + 0.5 h restart fit.
    assert r.actions == [S, S, W, D, D, D]
    assert r.finish_hours == pytest.approx(3.0) and not r.missed
    assert r.restarts == 2


def test_uniform_progress_paces_on_demand_along_the_line():
    job = SpotJob(2.0, 4.0, 0.0)  # line: 0.5 h of work per hour
    r = run(UniformProgress(), [0] * 8, job)
    assert r.actions == [D, W, D, W, D, W, D]  # never below C*t/D at a tick's end
    r = run(UniformProgress(), [1] * 8, job)
    assert r.actions == [S, S, S, S]  # spot whenever available, even ahead of the line


def test_uniform_progress_hysteresis_keeps_on_demand_until_ahead():
    job = SpotJob(3.0, 6.0, 0.25)  # band 2R = 0.5 h
    r = run(UniformProgress(), [0, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1], job)
    # t0 behind -> on-demand; t1 spot is back but the job is not 0.5 h ahead -> stay.
    assert r.actions[:2] == [D, D]
    assert S in r.actions and not r.missed


def test_uniform_progress_safety_net_overrides_the_line():
    # Spot is up and the line says spot, but a preemption after the first tick would
    # leave 1.5 h - 0.5 h < 1.0 h work + 0.5 h restart: the safety net takes on-demand.
    job = SpotJob(1.0, 1.5, 0.5)
    r = run(UniformProgress(), [1, 1, 1], job)
    assert r.actions == [D, D, D] and not r.missed
    assert run(Greedy(), [1, 1, 1], job).actions == [D, D, D]


def test_policy_names():
    assert set(POLICIES) == {"on_demand", "greedy", "uniform_progress", "pioneer"}
    with pytest.raises(ValueError, match="policy: 'x' is not one of"):
        get_policy("x")


def test_policies_only_see_the_past():
    seen = []

    class Spy(Policy):
        name = "spy"

        def decide(self, obs):
            seen.append(len(obs.history) == obs.tick + 1)
            return Action.ON_DEMAND

    run(Spy(), [1, 0, 1, 0, 1, 1], SpotJob(2.0, 3.0, 0.0))
    assert seen and all(seen)


def brute_force(trace, job, tick):
    model = TickModel.for_job(job, tick)
    best = float("inf")
    for acts in itertools.product((S, D, W), repeat=model.deadline_ticks):
        r = simulate(Scripted(acts), trace, job, model)
        if not r.missed:
            best = min(best, r.cost)
    return best


@settings(max_examples=25, deadline=None)
@given(
    trace=st.lists(st.booleans(), min_size=5, max_size=5),
    work=st.sampled_from([1.0, 1.5, 2.0]),
    restart=st.sampled_from([0.0, 0.25, 0.5, 0.75]),
)
def test_dp_equals_brute_force_on_tiny_traces(trace, work, restart):
    try:
        job = SpotJob(work, 2.5, restart)  # five half-hour ticks
        model = TickModel.for_job(job, HALF_HOUR)
    except ValueError:
        return
    assert optimal_cost(trace, job, model) == pytest.approx(brute_force(trace, job, HALF_HOUR))


@settings(max_examples=40, deadline=None)
@given(
    trace=st.lists(st.booleans(), min_size=24, max_size=24),
    work=st.sampled_from([3.0, 5.0, 7.5, 9.0]),
    slack=st.sampled_from([0.5, 1.5, 3.0, 6.0]),
    restart=st.sampled_from([0.0, 0.1, 0.25, 0.6]),
)
def test_no_policy_misses_and_optimum_is_a_lower_bound(trace, work, slack, restart):
    deadline = min(12.0, work + restart + slack)
    try:
        job = SpotJob(work, deadline, restart)
        model = TickModel.for_job(job, HALF_HOUR)
    except ValueError:
        return
    opt = optimal_cost(trace, job, model)
    for name in POLICIES:
        r = simulate(get_policy(name), trace, job, model)
        assert not r.missed, name
        assert r.finish_hours <= deadline + 1e-9
        assert opt <= r.cost + 1e-9, name


def test_pioneer_learns_availability_from_the_past():
    p = PioneerPolicy()
    p.reset(SpotJob(10, 20, 0.1))
    obs = dict(
        tick_hours=1.0,
        work_done_hours=0,
        work_left_hours=10,
        time_left_hours=20,
        restart_hours=0.1,
        spot_available=True,
        running=Action.IDLE,
        overhead_left_hours=0.1,
    )
    hist = [True, True, False, True, True, True, False]
    for t in range(len(hist)):
        p.decide(Observation(tick=t, elapsed_hours=t, history=hist[: t + 1], **obs))
    assert p.mean_up_hours(1.0) == pytest.approx((5 + 8) / 3)
