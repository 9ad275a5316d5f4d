"""Trace replay: loading shipped traces, windows, scores against the optimum, the CLI."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from cost.simulate import (
    DEFAULT_POLICIES,
    Trace,
    TraceError,
    evaluate,
    load_trace,
    shipped_traces,
    window_starts,
)
from cost.spot_policies import OPTIMUM, SpotJob
from stacks.cli import app

PAPER = SpotJob(48, 52, 0.1, 3.06, 0.97)


def test_shipped_traces_load_by_short_name():
    assert len(shipped_traces()) == 12
    t = load_trace("us-west-2a_v100_1")
    assert t.gap_seconds == 600 and len(t.available) == 3895
    assert 0 < t.availability < 1
    fine = load_trace("us-east-1c_v100_1")
    assert fine.gap_seconds == 32 and fine.for_simulation().gap_seconds == 320


def test_trace_errors_say_what_exists(tmp_path):
    with pytest.raises(TraceError, match="ambiguous.*aws-2022-10-26/us-west-2b_v100_1"):
        load_trace("us-west-2b_v100_1")
    with pytest.raises(TraceError, match="neither a file nor a shipped trace"):
        load_trace("nope")
    bad = tmp_path / "bad.json"
    bad.write_text('{"data": [1, 0]}')
    with pytest.raises(TraceError, match="gap_seconds"):
        load_trace(str(bad))


def test_resample_needs_every_fine_tick():
    t = Trace("t", 32, np.array([1, 1, 0, 1, 1, 1, 1], dtype=bool))
    assert t.resample(3).available.tolist() == [False, True]
    assert t.resample(3).gap_seconds == 96


def test_window_starts_fit_the_trace():
    assert window_starts(100, 30, 3) == [0, 35, 70]
    assert window_starts(100, 100, 5) == [0]
    assert window_starts(10, 30, 5) == []


@pytest.fixture(scope="module")
def paper_scores():
    traces = [load_trace(n) for n in shipped_traces()]
    return evaluate(traces, PAPER, list(DEFAULT_POLICIES), windows=4)


def test_optimum_is_never_above_any_policy_on_any_window(paper_scores):
    opt = paper_scores[OPTIMUM].costs
    for name, s in paper_scores.items():
        assert len(s.costs) == len(opt) == 48
        assert all(o <= c + 1e-9 for o, c in zip(opt, s.costs, strict=True)), name


def test_on_demand_only_is_the_unit_and_nobody_misses(paper_scores):
    assert paper_scores["on_demand"].costs == pytest.approx([1.0] * 48)
    assert all(s.misses == 0 for s in paper_scores.values())


def test_pioneer_beats_uniform_progress_on_average(paper_scores):
    pioneer, up = paper_scores["pioneer"], paper_scores["uniform_progress"]
    assert pioneer.mean_cost < up.mean_cost
    assert pioneer.mean_cost < paper_scores["greedy"].mean_cost


def test_a_miss_is_reported_and_priced():
    from cost.simulate import simulate
    from cost.spot_policies import Action, Policy, TickModel

    class Lazy(Policy):
        name = "lazy"

        def decide(self, obs):
            return Action.IDLE

    job = SpotJob(1.0, 2.0, 0.0)
    r = simulate(Lazy(), [True] * 4, job, TickModel.for_job(job, 1800))
    assert r.missed and r.cost == pytest.approx(3.06) and r.finish_hours == pytest.approx(3.0)


def test_cli_simulate_json():
    res = CliRunner().invoke(
        app,
        [
            "spot",
            "simulate",
            "--trace",
            "aws-2022-10-26/us-west-2a_v100_1",
            "--job-hours",
            "10",
            "--deadline-hours",
            "14",
            "--restart-hours",
            "0.1",
            "--windows",
            "3",
            "--policy",
            "greedy",
            "--policy",
            "pioneer",
            "--policy",
            "optimum",
            "--json",
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert set(doc) == {"greedy", "pioneer", "optimum"}
    assert len(doc["pioneer"]["window_costs"]) == 3
    assert doc["optimum"]["mean_cost_vs_on_demand"] <= doc["greedy"]["mean_cost_vs_on_demand"]


@pytest.mark.parametrize(
    "args, message",
    [
        (["--trace", "nope"], "neither a file nor a shipped trace"),
        (["--trace", "us-west-2a_v100_1", "--policy", "yolo"], "policy: 'yolo'"),
    ],
)
def test_cli_simulate_user_errors(args, message):
    res = CliRunner().invoke(
        app, ["spot", "simulate", *args, "--job-hours", "10", "--deadline-hours", "12"]
    )
    assert res.exit_code == 2
    assert message in res.output


def test_cli_deadline_shorter_than_job():
    res = CliRunner().invoke(
        app,
        [
            "spot",
            "simulate",
            "--trace",
            "us-west-2a_v100_1",
            "--job-hours",
            "10",
            "--deadline-hours",
            "9",
        ],
    )
    assert res.exit_code == 2 and "deadline_hours must be >=" in res.output


def test_cli_traces_lists_rates():
    res = CliRunner().invoke(app, ["spot", "traces", "--json"])
    assert res.exit_code == 0
    rows = json.loads(res.stdout)
    assert len(rows) == 12 and all(r["interruptions_per_hour"] > 0 for r in rows)


def test_cli_trace_takes_several_files_after_one_flag():
    # #18.20: `--trace a b` was refused although the help shows `--trace F...`.
    a, b = "aws-2022-10-26/us-west-2a_v100_1", "aws-2022-10-26/us-west-2b_k80_1"
    common = ["--job-hours", "10", "--deadline-hours", "14", "--windows", "2", "--json"]
    common += ["--policy", "greedy"]
    one_flag = CliRunner().invoke(app, ["spot", "simulate", *common, "--trace", a, b])
    repeated = CliRunner().invoke(app, ["spot", "simulate", *common, "--trace", a, "--trace", b])
    assert one_flag.exit_code == 0, one_flag.output
    assert json.loads(one_flag.stdout) == json.loads(repeated.stdout)
    assert json.loads(one_flag.stdout)["greedy"]["windows"] == 4


def test_cli_rates_shows_the_measured_range_and_the_assumptions():
    res = CliRunner().invoke(app, ["spot", "rates", "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    v100 = next(m for m in doc["measured"] if m["accelerator"] == "V100")
    assert v100["low_per_hour"] <= v100["median_per_hour"] <= v100["high_per_hour"]
    assert {a["cloud"] for a in doc["assumed_where_no_trace"]} == {"aws", "gcp", "azure"}
