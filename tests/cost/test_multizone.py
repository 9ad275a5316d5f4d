"""Multi-zone spot: the exact optimum bounds every policy and every single zone; no
policy sees the future; the CLI reports every row."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from cost.multizone import (
    MULTI_OPTIMUM,
    MULTI_POLICIES,
    MULTI_ROWS,
    SINGLE_OPTIMUM,
    MultiModel,
    MultiZoneJob,
    Zone,
    evaluate_multi,
    multi_optimal_cost,
    simulate_multi,
)
from cost.simulate import Trace, simulate
from cost.spot_policies import POLICIES, SpotJob, TickModel, optimal_cost
from stacks.cli import app

ZONES = (
    Zone("us-west-2a", 0.97, 3.06),
    Zone("us-west-2b", 0.90, 3.06),
    Zone("us-east-1c", 1.1, 3.2),
)


def job(n: int = 3, m: float = 0.5, deadline: float = 14) -> MultiZoneJob:
    return MultiZoneJob(10, deadline, 0.5, ZONES[:n], migration_hours=m, checkpoint_gib=50)


def windows(seed: int, n_zones: int, count: int = 6, ticks: int = 30) -> list[np.ndarray]:
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(count):
        # Sticky on/off spells, per zone, so that moving sometimes pays.
        w = np.empty((ticks, n_zones), dtype=bool)
        w[0] = rng.random(n_zones) < 0.6
        for t in range(1, ticks):
            flip = rng.random(n_zones) < 0.2
            w[t] = np.where(flip, ~w[t - 1], w[t - 1])
        out.append(w)
    return out


@pytest.mark.parametrize("seed", [1, 2])
def test_multi_optimum_bounds_every_policy_and_every_single_zone(seed):
    j = job()
    model = MultiModel.for_job(j, 1800)
    for w in windows(seed, 3):
        opt = multi_optimal_cost(w, j, model)
        for name, cls in MULTI_POLICIES.items():
            r = simulate_multi(cls(), w, j, model)
            assert not r.missed, name
            assert opt <= r.cost + 1e-9, name
        for i, z in enumerate(j.zones):
            zj = j.zone_job(z)
            single = optimal_cost(w[:, i], zj, model.tick)
            assert opt <= single + 1e-9
            for name, cls in POLICIES.items():
                assert single <= simulate(cls(), w[:, i], zj, model.tick).cost + 1e-9, name


def test_one_zone_without_moves_is_the_single_zone_optimum():
    j = job(n=1, m=0.0)
    model = MultiModel.for_job(j, 1800)
    sj = SpotJob(10, 14, 0.5, 3.06, 0.97)
    assert model.tick == TickModel.for_job(sj, 1800)
    for w in windows(3, 1):
        assert multi_optimal_cost(w, j, model) == pytest.approx(
            optimal_cost(w[:, 0], sj, model.tick)
        )


def test_moving_pays_when_one_zone_is_down_and_another_up():
    # Zone a is down for the whole window, zone b up: the optimum runs on spot in b.
    j = job(n=2, m=0.5)
    model = MultiModel.for_job(j, 1800)
    w = np.zeros((30, 2), dtype=bool)
    w[:, 1] = True
    spot_b = j.zones[1].spot_price * (10 + 0.5)
    assert multi_optimal_cost(w, j, model) == pytest.approx(spot_b)
    assert simulate_multi(MULTI_POLICIES["pioneer"](), w, j, model).cost == pytest.approx(spot_b)


def test_a_move_between_regions_costs_egress_and_time():
    j = job(n=3, m=0.5)
    assert j.move_usd(0, 1) == 0  # both us-west-2
    assert j.move_usd(0, 2) == pytest.approx(50 * 0.02)
    model = MultiModel.for_job(j, 1800)
    assert model.migration_units * model.tick.unit_hours == pytest.approx(0.5)


@pytest.mark.parametrize("cut", [5, 12, 20])
def test_no_policy_sees_the_future(cut):
    """Windows equal up to tick `cut` and different after: decisions up to `cut` agree."""
    rng = np.random.default_rng(cut)
    a = windows(cut, 3, count=1)[0]
    b = a.copy()
    b[cut + 1 :] = rng.random(b[cut + 1 :].shape) < 0.5
    j = job()
    model = MultiModel.for_job(j, 1800)

    class Recorder:
        def __init__(self, inner):
            self.inner, self.log = inner, []

        def reset(self, jb):
            self.inner.reset(jb)

        def decide(self, obs):
            d = self.inner.decide(obs)
            self.log.append(d)
            return d

    for name, cls in MULTI_POLICIES.items():
        ra, rb = Recorder(cls()), Recorder(cls())
        simulate_multi(ra, a, j, model)  # type: ignore[arg-type]
        simulate_multi(rb, b, j, model)  # type: ignore[arg-type]
        assert ra.log[: cut + 1] == rb.log[: cut + 1], name
    zj = j.zone_job(j.zones[0])
    for name, cls in POLICIES.items():
        ra_, rb_ = (
            simulate(cls(), a[:, 0], zj, model.tick, keep_actions=True),
            simulate(cls(), b[:, 0], zj, model.tick, keep_actions=True),
        )
        assert ra_.actions[: cut + 1] == rb_.actions[: cut + 1], name


def test_evaluate_multi_rows_and_bad_input(tmp_path):
    rng = np.random.default_rng(7)
    traces = [Trace(z.name, 1800, rng.random(60) < 0.7) for z in ZONES[:2]]
    scores = evaluate_multi(traces, job(n=2), windows=3)
    assert list(scores) == list(MULTI_ROWS)
    opt = scores[MULTI_OPTIMUM].costs
    for name, s in scores.items():
        assert len(s.costs) == 3 and s.misses == 0
        assert all(o <= c + 1e-9 for o, c in zip(opt, s.costs, strict=True)), name
    assert all(o <= c + 1e-9 for o, c in zip(opt, scores[SINGLE_OPTIMUM].costs, strict=True))
    with pytest.raises(ValueError, match="migration_hours must be >= 0"):
        job(m=-1)


def test_cli_multi_zone_reports_every_row():
    res = CliRunner().invoke(
        app,
        [
            "spot",
            "simulate",
            "--trace",
            "aws-2022-10-26/us-west-2a_v100_1",
            "aws-2022-10-26/us-west-2b_v100_1",
            "--multi-zone",
            "--migration-hours",
            "0.1",
            "--checkpoint-gib",
            "20",
            "--job-hours",
            "8",
            "--deadline-hours",
            "10",
            "--windows",
            "2",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert list(doc["rows"]) == list(MULTI_ROWS)
    assert [z["name"] for z in doc["zones"]] == ["us-west-2a", "us-west-2b"]
    assert all(r["deadline_misses"] == 0 for r in doc["rows"].values())


def test_cli_multi_zone_needs_matching_prices():
    res = CliRunner().invoke(
        app,
        ["spot", "simulate", "--trace", "us-west-2a_v100_1", "us-west-2b_k80_1", "--multi-zone"]
        + ["--spot-price", "1", "--spot-price", "2", "--spot-price", "3"]
        + ["--job-hours", "8", "--deadline-hours", "10"],
    )
    assert res.exit_code == 2
    assert "spot_price: give one price or one per trace (2); got 3" in res.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--spot-trace", "nope"], "neither a file nor a shipped trace"),
        (["--spot-trace", "us-west-2a_v100_1", "--time-scale", "0"], "--time-scale: must be > 0"),
        (["--spot-trace", "us-west-2a_v100_1", "--spot-policy", "x"], "policy: 'x' is not one of"),
    ],
)
def test_cli_train_spot_trace_bad_input_exits_2_before_any_run(args, message, tmp_path):
    res = CliRunner().invoke(
        app, ["train", "--backend", "local", "--output-dir", str(tmp_path), *args]
    )
    assert res.exit_code == 2 and message in res.output, res.output
    assert not any(tmp_path.iterdir())  # nothing started, nothing half-created
