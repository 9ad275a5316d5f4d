"""The optimizer: constraints, frontier, monotonicity, explanations, and the CLI."""

from __future__ import annotations

import copy
import json
import warnings
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cost.catalog import get_catalog
from cost.optimize import HOURS_TIE, OBJECTIVES, _candidates, build_table, hours_key, optimize
from cost.workload import Workload, WorkloadError
from stacks.cli import app

REFERENCE = Path(__file__).resolve().parents[2] / "examples" / "reference-workload.yaml"
BASE = yaml.safe_load(REFERENCE.read_text())


def wl(**over) -> Workload:
    d = copy.deepcopy(BASE)
    d.update(over)
    return Workload.parse(d)


@pytest.fixture(scope="module")
def reference():
    return optimize(Workload.parse(BASE))


def test_reference_plan_meets_every_constraint(reference):
    w, b = Workload.parse(BASE), reference.best
    assert b is not None
    assert b.expected_cost_usd <= w.budget_usd
    assert b.expected_hours <= w.deadline_hours
    assert b.deadline_probability >= w.deadline_probability
    assert b.cloud in w.clouds and b.region in w.regions[b.cloud]
    offer = get_catalog().offer(b.cloud, b.region, b.instance_type)
    assert offer.accelerator_memory_gib >= w.min_accelerator_memory_gib
    quota = w.quotas.get(b.cloud, {}).get(b.accelerator)
    assert quota is None or b.accelerators <= quota
    assert b.nodes <= w.max_nodes


def test_frontier_is_non_dominated_and_holds_the_cheapest(reference):
    front = reference.frontier
    assert len(front) >= 2
    hours = [p.expected_hours for p in front]
    costs = [p.expected_cost_usd for p in front]
    assert hours == sorted(hours)
    assert all(a > b for a, b in zip(costs, costs[1:], strict=False))  # faster costs more
    assert min(costs) == pytest.approx(reference.best.expected_cost_usd)


def test_explanation_names_price_efficiency_and_risk(reference):
    text = "\n".join(reference.explanation)
    assert "price: $" in text and "efficiency: eta(" in text
    if reference.best.mode != "on_demand":
        assert "interruption risk" in text and "P(done by deadline)" in text


def test_time_objective_is_never_slower():
    w = Workload.parse(BASE)
    fast, cheap = optimize(w, "time").best, optimize(w, "cost").best
    assert fast.expected_hours <= cheap.expected_hours
    assert cheap.expected_cost_usd <= fast.expected_cost_usd
    assert set(OBJECTIVES) >= {"cost", "time", "carbon"}
    with pytest.raises(ValueError, match="objective: 'fastest'"):
        optimize(w, "fastest")


def test_quota_and_memory_limit_the_search():
    r = optimize(wl(clouds=["aws"], accelerators=["H100"], quotas={"aws": {"H100": 8}}))
    assert r.best is not None and r.best.accelerators <= 8
    r = optimize(wl(min_accelerator_memory_gib=100))
    assert r.best is not None and r.best.accelerator in {"H200", "B200", "TPU-v5p"}


@settings(max_examples=12, deadline=None)
@given(d1=st.floats(4, 120), d2=st.floats(4, 120))
def test_tighter_deadline_never_lowers_cost(d1, d2):
    tight, loose = sorted((d1, d2))
    a = optimize(wl(deadline_hours=tight, budget_usd=None)).best
    b = optimize(wl(deadline_hours=loose, budget_usd=None)).best
    if a is not None:
        assert b is not None and b.expected_cost_usd <= a.expected_cost_usd + 1e-6


@settings(max_examples=12, deadline=None)
@given(b1=st.floats(20, 3000), b2=st.floats(20, 3000))
def test_higher_budget_keeps_the_cheaper_feasible_plan(b1, b2):
    low, high = sorted((b1, b2))
    a = optimize(wl(budget_usd=low)).best
    b = optimize(wl(budget_usd=high)).best
    if a is not None:
        assert b is not None and b.expected_cost_usd == pytest.approx(a.expected_cost_usd)


def test_infeasible_deadline_names_the_fastest_plan():
    r = optimize(wl(deadline_hours=1))
    assert r.best is None
    (msg,) = r.binding
    assert msg.startswith("deadline: the fastest plan")
    hours = float(msg.split("needs ")[1].split(" h")[0])
    assert hours > 1 and "> deadline 1 h" in msg
    assert r.frontier  # still shows what is possible


def test_infeasible_budget_names_the_cheapest_plan():
    r = optimize(wl(budget_usd=5))
    assert r.best is None
    assert r.binding[0].startswith("budget: the cheapest plan that meets the deadline")
    assert "> budget $5" in r.binding[0]


def test_infeasible_memory_and_empty_search():
    r = optimize(wl(min_accelerator_memory_gib=500))
    assert r.best is None and "memory: the model needs 500 GiB" in r.binding[0]
    r = optimize(wl(clouds=["azure"], accelerators=["TPU-v5e"]))
    assert r.best is None and "no catalog offer matches" in r.binding[0]


def test_unknown_region_is_a_field_error():
    with pytest.raises(WorkloadError, match="regions.aws: mars-1 not in the catalog"):
        optimize(wl(regions={"aws": ["mars-1"]}))


def test_cli_json_and_plot(tmp_path):
    png = tmp_path / "front.png"
    res = CliRunner().invoke(app, ["optimize", str(REFERENCE), "--json", "--plot", str(png)])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["feasible"] and doc["best"]["expected_cost_usd"] <= BASE["budget_usd"]
    assert doc["frontier"] and doc["explanation"]
    assert png.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_cli_bad_workload_exits_2_with_the_field(tmp_path):
    bad = tmp_path / "w.yaml"
    bad.write_text(yaml.safe_dump({**BASE, "deadline_hours": "soon"}))
    res = CliRunner().invoke(app, ["optimize", str(bad)])
    assert res.exit_code == 2 and "deadline_hours" in res.output


def test_cli_infeasible_exits_1_and_explains(tmp_path):
    f = tmp_path / "w.yaml"
    f.write_text(yaml.safe_dump({**BASE, "deadline_hours": 1}))
    res = CliRunner().invoke(app, ["optimize", str(f), "--json"])
    assert res.exit_code == 1
    assert json.loads(res.stdout)["binding_constraints"][0].startswith("deadline:")


def test_higher_interruption_rate_never_lowers_cost():
    calm = optimize(wl(interruption_rate_per_hour=0.001)).best
    stormy = optimize(wl(interruption_rate_per_hour=0.5)).best
    assert stormy.expected_cost_usd >= calm.expected_cost_usd
    if stormy.mode != "on_demand":
        assert stormy.interruption_source == "workload interruption_rate_per_hour"
        assert stormy.interruptions_per_hour == pytest.approx(0.5 * stormy.nodes)


def test_storage_and_egress_are_priced_from_the_catalog(reference):
    b, w, cat = reference.best, Workload.parse(BASE), get_catalog()
    storage = cat.service_price(
        b.cloud,
        {
            "aws": "s3_standard_gb_month",
            "gcp": "gcs_standard_gb_month",
            "azure": "blob_hot_lrs_gb_month",
        }[b.cloud],
        b.region,
    )
    egress = cat.service_price(b.cloud, "egress_internet_gb", b.region)
    expected = storage.usd * w.storage_gib * b.expected_hours / 730 + egress.usd * w.egress_gib
    assert b.storage_egress_usd == pytest.approx(expected)
    if b.mode != "spot_with_fallback":  # one price for the whole run
        assert b.expected_cost_usd == pytest.approx(
            b.price_usd_per_hour * b.expected_hours + expected, rel=0.02
        )


def test_plot_of_an_infeasible_result(tmp_path):
    from cost.plot import plot_frontier

    r = optimize(wl(clouds=["azure"], accelerators=["TPU-v5e"]))
    out = plot_frontier(r, tmp_path / "none.png", 48, 100)
    assert out.read_bytes()[:4] == b"\x89PNG"


def test_interruption_rate_from_a_trace():
    from cost.simulate import load_trace
    from cost.spot import trace_rate

    t = load_trace("us-west-2a_v100_8")
    res = optimize(wl(interruption_trace="us-west-2a_v100_8", clouds=["aws"], budget_usd=None))
    spot = [p for p in res.frontier if p.mode != "on_demand"]
    assert res.best is not None and spot
    assert spot[0].interruption_source == "trace aws-2022-10-26/us-west-2a_v100_8"
    assert spot[0].interruptions_per_hour == pytest.approx(
        trace_rate(t.available, t.gap_seconds) * spot[0].nodes
    )
    with pytest.raises(WorkloadError, match="interruption_trace: trace: 'nope'"):
        optimize(wl(interruption_trace="nope"))
    with pytest.raises(WorkloadError, match="not both"):
        wl(interruption_trace="x", interruption_rate_per_hour=0.1)


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_cli_cloud_option_restricts_the_search(cloud):
    res = CliRunner().invoke(app, ["optimize", str(REFERENCE), "--cloud", cloud, "--json"])
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["best"]["cloud"] == cloud
    assert {p["cloud"] for p in doc["frontier"]} == {cloud}


def test_cli_unknown_cloud():
    res = CliRunner().invoke(app, ["optimize", str(REFERENCE), "--cloud", "oracle"])
    assert res.exit_code == 2 and "clouds.0: 'oracle' is not one of aws, gcp, azure" in res.output


def test_time_objective_takes_the_cheaper_of_tied_hours_and_it_is_on_the_frontier():
    # #19.6: 8x g6e on-demand at 6.665 h for $1,609 beat spot at 6.707 h for $250.
    res = optimize(Workload.parse(BASE), "time")
    best = res.best
    assert best is not None and best in res.frontier
    assert best == res.frontier[0]  # the fastest end of the frontier
    w = Workload.parse(BASE)
    offers, _ = _candidates(w, get_catalog())
    t = build_table(w, offers, get_catalog())
    feas = t.feasible.nonzero()[0]
    fastest = hours_key(t.hours[feas]).min()
    tied = feas[hours_key(t.hours[feas]) == fastest]
    assert best.expected_cost_usd == pytest.approx(t.cost[tied].min())
    assert best.expected_hours - t.hours[feas].min() <= HOURS_TIE
    assert best.expected_cost_usd < 1000  # the $250 spot plan, not $1,609 on-demand


def test_no_numpy_warnings_with_nothing_stored_and_infinite_hours():
    # #18.19: storage_gib 0 x an infeasible plan's infinite hours printed RuntimeWarnings.
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        res = optimize(wl(storage_gib=0, interruption_rate_per_hour=5.0))
    assert all(p.storage_egress_usd >= 0 for p in res.frontier)


def test_plot_legend_dollar_ticks_clouds_and_the_path_it_prints(tmp_path, reference):
    # #19.17: no legend entry for on-demand points, `2x10^2` ticks, clouds alike, and
    # `--plot DIR` wrote DIR.png but printed DIR.
    import matplotlib.pyplot as plt

    from cost import plot as cplot

    assert all(p.mode != "on_demand" for p in reference.frontier)  # only in the faint cloud
    drawn = {}
    real_close = plt.close
    plt.close = lambda fig: drawn.setdefault("fig", fig)  # keep the figure to inspect it
    try:
        out = cplot.plot_frontier(reference, tmp_path, 48, 2500)
    finally:
        plt.close = real_close
    assert out == tmp_path / f"{reference.workload}-cost-time.png" and out.is_file()
    ax = drawn["fig"].axes[0]
    labels = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "on-demand" in labels and "spot" in labels
    assert {f"{c} (frontier edge)" for c in {p.cloud for p in reference.frontier}} <= set(labels)
    ticks = [t.get_text() for t in ax.get_yticklabels() if t.get_text()]
    assert ticks and all(t.startswith("$") for t in ticks), ticks
    assert cplot.output_path(tmp_path / "plot", "x") == tmp_path / "plot.png"
    res = CliRunner().invoke(app, ["optimize", str(REFERENCE), "--plot", str(tmp_path / "p")])
    assert res.exit_code == 0 and (tmp_path / "p.png").is_file()
    assert f"{tmp_path / 'p.png'}" in res.output.replace("\n", "")
