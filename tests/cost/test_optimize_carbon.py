"""The carbon objective and the weighted mix: energy per plan, exclusions, and the CLI."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from cost import energy
from cost.catalog import get_catalog
from cost.optimize import optimize, parse_weights
from cost.workload import Workload
from stacks.cli import app

REFERENCE = Path(__file__).resolve().parents[2] / "examples" / "reference-workload.yaml"
BASE = yaml.safe_load(REFERENCE.read_text())
runner = CliRunner()


def wl(**over) -> Workload:
    d = copy.deepcopy(BASE)
    d.update(over)
    return Workload.parse(d)


@pytest.fixture(scope="module")
def pair():
    w = Workload.parse(BASE)
    return optimize(w, "cost"), optimize(w, "carbon")


def test_plan_energy_matches_the_scalar_model(pair):
    """The vectorised kWh/kgCO2e of a plan equal cost.energy.estimate for its offer."""
    for p in (pair[0].best, pair[1].best, *pair[1].carbon_frontier):
        offer = get_catalog().offer(p.cloud, p.region, p.instance_type)
        est = energy.estimate(offer, p.expected_hours, p.nodes)
        assert p.expected_kwh == pytest.approx(est.kwh, rel=1e-5)
        assert p.expected_kg_co2e == pytest.approx(est.kg_co2e, rel=1e-5)
        assert [f.name for f in p.energy_factors] == [f.name for f in est.factors]


def test_plan_energy_hand_computed(pair):
    p = pair[0].best
    offer = get_catalog().offer(p.cloud, p.region, p.instance_type)
    acc = {"H100": 700, "H200": 700, "B200": 1000, "A100": 400, "A100-80GB": 400, "L40S": 350}[
        p.accelerator
    ]
    host = {
        "aws": 0.74 + 0.5 * (3.5 - 0.74),
        "gcp": 0.71 + 0.5 * (4.26 - 0.71),
        "azure": 0.78 + 0.5 * (3.76 - 0.78),
    }[p.cloud]
    watts = p.accelerators_per_node * acc * 0.8 + offer.vcpus * host + offer.memory_gib * 0.392
    pue = {"aws": 1.135, "gcp": 1.10, "azure": 1.185}[p.cloud]
    # expected hours include the spot rework and restarts, like the dollars
    assert p.expected_kwh == pytest.approx(watts * p.nodes * p.expected_hours * pue / 1000)
    grid = energy.grid_intensity(p.cloud, p.region).value
    assert p.expected_kg_co2e == pytest.approx(p.expected_kwh * grid / 1000)


def test_carbon_plan_emits_no_more_and_states_the_difference(pair):
    cheap, green = pair[0].best, pair[1].best
    assert green.expected_kg_co2e <= cheap.expected_kg_co2e
    assert green.expected_cost_usd >= cheap.expected_cost_usd
    text = "\n".join(pair[1].explanation)
    assert "vs the cost-optimal plan" in text and "USD" in text and " h" in text
    assert "kgCO2e" in text and "energy:" in text


@settings(max_examples=12, deadline=None)
@given(deadline=st.floats(8, 120), budget=st.floats(150, 5000))
def test_carbon_never_emits_more_than_cost(deadline, budget):
    w = wl(deadline_hours=deadline, budget_usd=budget)
    cheap, green = optimize(w, "cost"), optimize(w, "carbon")
    assert (cheap.best is None) == (green.best is None) or cheap.best.expected_kg_co2e is None
    if green.best is None or cheap.best is None or cheap.best.expected_kg_co2e is None:
        return
    assert green.best.expected_kg_co2e <= cheap.best.expected_kg_co2e + 1e-9
    assert green.best.expected_cost_usd >= cheap.best.expected_cost_usd - 1e-9
    if green.best != cheap.best:
        assert any(line.startswith("vs the cost-optimal plan") for line in green.explanation)


def test_carbon_objective_can_move_to_a_cleaner_region():
    # Only GCP, every region: Google's published figures range from 2 to ~700 g/kWh.
    w = wl(clouds=["gcp"], regions={}, quotas={}, budget_usd=20000)
    cheap, green = optimize(w, "cost").best, optimize(w, "carbon").best
    grid = energy.grid_intensity("gcp", green.region).value
    assert grid <= energy.grid_intensity("gcp", cheap.region).value
    assert green.expected_kg_co2e < cheap.expected_kg_co2e
    moved = [ln for ln in optimize(w, "carbon").explanation if "vs the cost-optimal" in ln]
    if green.region != cheap.region:
        assert f"moves from gcp/{cheap.region} to gcp/{green.region}" in moved[0]


def test_plans_without_carbon_are_excluded_not_zero():
    # TPU v5p has no published power: a TPU-only search has no carbon plan at all.
    w = wl(
        clouds=["gcp"],
        accelerators=["TPU-v5p"],
        regions={},
        quotas={},
        min_accelerator_memory_gib=1,
        budget_usd=1e6,
    )
    assert optimize(w, "cost").best is not None
    r = optimize(w, "carbon")
    assert r.best is None and "no feasible plan has a carbon estimate" in r.binding[0]
    assert "TPU-v5p" in r.binding[0]
    mixed = optimize(wl(min_accelerator_memory_gib=1), "carbon")
    if mixed.carbon_excluded:
        assert mixed.best.expected_kg_co2e is not None
        assert any("left out of the carbon objective" in ln for ln in mixed.explanation)


def test_mix_weights():
    w = Workload.parse(BASE)
    assert optimize(w, "mix", weights={"cost": 1}).best == optimize(w, "cost").best
    only_carbon = optimize(w, "mix", weights={"carbon": 1}).best
    green = optimize(w, "carbon").best
    # pure carbon weight: strictly the lowest kgCO2e (the carbon objective allows a 1% tie)
    assert only_carbon.expected_kg_co2e <= green.expected_kg_co2e
    assert green.expected_kg_co2e <= only_carbon.expected_kg_co2e * 1.01
    both = optimize(w, "mix", weights={"cost": 1, "carbon": 0.5}).best
    cheap = optimize(w, "cost").best
    assert both.expected_kg_co2e <= cheap.expected_kg_co2e


def test_mix_score_formula_picks_the_minimum():
    """score = cost / min cost + 2 x kgCO2e / min kgCO2e: the winner has the lowest score of
    the (cost, carbon) frontier, which holds both minima and every plan that could win."""
    w = Workload.parse(BASE)
    r = optimize(w, "mix", weights={"cost": 1, "carbon": 2}, frontier_size=1000)
    plans = r.carbon_frontier
    low_c = min(p.expected_cost_usd for p in plans)
    low_k = min(p.expected_kg_co2e for p in plans)

    def score(p):
        return p.expected_cost_usd / low_c + 2 * p.expected_kg_co2e / low_k

    assert score(r.best) == pytest.approx(min(score(p) for p in plans), rel=1e-3)
    assert score(r.best) <= min(score(p) for p in plans) + 1e-9


@pytest.mark.parametrize(
    "text,field",
    [
        ("", "weights"),
        ("cost", "cost"),
        ("speed=1", "speed"),
        ("cost=-1", "cost"),
        ("cost=x", "cost"),
        ("cost=0", "at least one"),
    ],
)
def test_bad_weights_name_the_problem(text, field):
    with pytest.raises(ValueError, match=field):
        parse_weights(text)


def test_carbon_frontier_is_non_dominated(pair):
    front = pair[1].carbon_frontier
    assert len(front) >= 2
    kg = [p.expected_kg_co2e for p in front]
    cost = [p.expected_cost_usd for p in front]
    assert kg == sorted(kg) and all(a > b for a, b in zip(cost, cost[1:], strict=False))


def test_cli_carbon_json_reports_energy_and_factors(tmp_path):
    png = tmp_path / "cc.png"
    r = runner.invoke(
        app, ["optimize", str(REFERENCE), "--objective", "carbon", "--json", "--plot", str(png)]
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    best = doc["best"]
    assert best["expected_kwh"] > 0 and best["expected_kg_co2e"] > 0
    assert {f["name"] for f in best["energy_factors"]} >= {
        "aws PUE",
        "accelerator utilisation",
    } or any(f["name"].endswith("PUE") for f in best["energy_factors"])
    assert all(f["source"] and f["date"] for f in best["energy_factors"])
    assert doc["plot_axes"] == "cost-carbon" and png.stat().st_size > 10_000
    assert doc["carbon_frontier"] and "kWh" in doc["energy_model"]
    cheap = json.loads(runner.invoke(app, ["optimize", str(REFERENCE), "--json"]).stdout)
    assert best["expected_kg_co2e"] <= cheap["best"]["expected_kg_co2e"]


def test_cli_mix_and_errors():
    r = runner.invoke(
        app,
        ["optimize", str(REFERENCE), "--objective", "mix", "--weights", "cost=1,carbon=0.5"],
        env={"COLUMNS": "200"},
    )
    assert r.exit_code == 0, r.output
    assert "kgCO2e" in r.stdout and "cost vs carbon" in r.stdout
    bad = runner.invoke(
        app, ["optimize", str(REFERENCE), "--objective", "mix", "--weights", "speed=1"]
    )
    assert bad.exit_code == 2 and "weights" in bad.output
    stray = runner.invoke(app, ["optimize", str(REFERENCE), "--weights", "cost=1"])
    assert stray.exit_code == 2 and "only used with --objective mix" in stray.output
    axes = runner.invoke(app, ["optimize", str(REFERENCE), "--plot-axes", "cost-speed"])
    assert axes.exit_code == 2 and "cost-time, cost-carbon" in axes.output
