"""Energy and carbon next to dollars in `pioneer cost`: per line, in total, with factors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cost.catalog import get_catalog
from cost.energy import NO_DATA
from cost.estimate import estimate_preview
from cost.training_cost import estimate_training
from plan_document import load_preview
from stacks.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()
# Factors hand-copied from cost/data (so a silent change to the data fails here).
AWS_VCPU_W = 0.74 + 0.5 * (3.5 - 0.74)  # CCF min/max at 50% host load
GCP_VCPU_W = 0.71 + 0.5 * (4.26 - 0.71)
MEM_W_PER_GB = 0.392
PUE = {"aws": 1.135, "gcp": 1.10}
VIRGINIA = 539.599 * 0.45359237  # eGRID 2023 lbs/MWh -> g/kWh (us-east-1)
IOWA_GOOGLE = 430.0  # Google's published us-central1 figure


def _line(est: dict, name: str) -> dict:
    return next(ln for ln in est["lines"] if ln["name"] == name)


def _node(name: str, inputs: dict, type_: str = "gcp:container/nodePool:NodePool") -> dict:
    urn = f"urn:pulumi:dev::ml::{type_}::{name}"
    return {
        "op": "create",
        "urn": urn,
        "newState": {"urn": urn, "type": type_, "custom": True, "inputs": inputs},
    }


@pytest.fixture(scope="module")
def aws_est() -> dict:
    usage = {"resources": {"gpu-h100": {"nodes": 2, "hours": 10}}}
    return estimate_preview(load_preview(FIXTURES / "aws-preview.json"), usage)


def test_gpu_node_group_hand_computed(aws_est):
    # p5.48xlarge: 8 x H100 (700 W) at 80% + 192 vCPU + 2048 GiB, 2 nodes x 10 h (usage file)
    offer = get_catalog().offer("aws", "us-east-1", "p5.48xlarge")
    assert (offer.vcpus, offer.memory_gib) == (192, 2048)
    watts = 8 * 700 * 0.8 + 192 * AWS_VCPU_W + 2048 * MEM_W_PER_GB
    kwh = watts * 2 * 10 * PUE["aws"] / 1000
    e = _line(aws_est, "gpu-h100")["energy"]
    assert e["kwh"] == pytest.approx(kwh, rel=1e-6)
    assert e["kg_co2e"] == pytest.approx(kwh * VIRGINIA / 1000, rel=1e-3)
    assert e["not_estimated"] is None
    names = {f["name"] for f in e["factors"]}
    assert {"H100 board power", "aws PUE", "accelerator utilisation"} <= names
    assert all(f["source"] and f["date"] for f in e["factors"])


def test_cpu_node_group_uses_the_same_node_hours_as_the_dollars(aws_est):
    line = _line(aws_est, "gpu-system")
    compute = next(c for c in line["charges"] if c["name"].startswith("compute"))
    node_hours = compute["quantity"]  # 3 nodes x 730 h, the priced quantity
    watts = 4 * AWS_VCPU_W + 16 * MEM_W_PER_GB  # m6i.xlarge: 4 vCPU, 16 GiB, no accelerator
    assert line["energy"]["kwh"] == pytest.approx(watts * node_hours * PUE["aws"] / 1000, rel=1e-6)
    # the disks on the same line have no energy figure, and the line says so
    assert "node disks" in line["energy"]["scope"]


def test_gcp_pool_uses_googles_region_intensity():
    est = estimate_preview(load_preview(FIXTURES / "gcp-preview.json"))
    e = _line(est, "system")["energy"]  # 2 x e2-standard-4 x 730 h
    kwh = (4 * GCP_VCPU_W + 16 * MEM_W_PER_GB) * 2 * 730 * PUE["gcp"] / 1000
    assert e["kwh"] == pytest.approx(kwh, rel=1e-6)
    assert e["kg_co2e"] == pytest.approx(kwh * IOWA_GOOGLE / 1000, rel=1e-6)


def test_non_compute_and_unpriced_lines_are_not_estimated_with_a_reason(aws_est):
    for name in ("nat", "gpu-eks", "key"):
        e = _line(aws_est, name)["energy"]
        assert e["kwh"] is None and e["kg_co2e"] is None and e["not_estimated"] == NO_DATA
    future = _line(aws_est, "gpu-future")["energy"]
    assert future["kwh"] is None and "p9.96xlarge" in future["not_estimated"]
    assert {"name": "gpu-future", "reason": future["not_estimated"]} in aws_est["energy"][
        "not_estimated"
    ]


def test_totals_are_the_sum_of_the_lines(aws_est):
    lines = [ln["energy"] for ln in aws_est["lines"] if ln["energy"]["kwh"] is not None]
    assert len(lines) == aws_est["energy"]["lines_estimated"] == 2
    assert aws_est["energy"]["kwh"] == pytest.approx(sum(e["kwh"] for e in lines))
    assert aws_est["energy"]["kg_co2e"] == pytest.approx(sum(e["kg_co2e"] for e in lines))
    total_names = {f["name"] for f in aws_est["energy"]["factors"]}
    assert {f["name"] for e in lines for f in e["factors"]} == total_names


def test_unpublished_tpu_power_is_not_estimated_never_zero():
    doc = {
        "steps": [
            _node(
                "tpu",
                {
                    "location": "europe-west4",
                    "nodeCount": 1,
                    "nodeConfig": {"machineType": "ct5lp-hightpu-4t"},
                },
            )
        ]
    }
    line = estimate_preview(doc)["lines"][0]
    assert line["status"] == "priced" and line["monthly_usd"] > 0
    assert line["energy"]["kwh"] is None and line["energy"]["kg_co2e"] is None
    assert line["energy"]["not_estimated"] == "no published board power for TPU-v5e"


def test_cleaner_region_same_energy_less_carbon():
    def pool(region: str) -> dict:
        doc = {
            "steps": [
                _node(
                    "p",
                    {
                        "location": region,
                        "nodeCount": 1,
                        "nodeConfig": {"machineType": "e2-standard-4"},
                    },
                )
            ]
        }
        return estimate_preview(doc)["lines"][0]["energy"]

    dirty, clean = pool("us-central1"), pool("us-west1")  # Google: 430 vs 94 g/kWh
    assert clean["kwh"] == pytest.approx(dirty["kwh"])
    assert clean["kg_co2e"] == pytest.approx(dirty["kg_co2e"] * 94 / 430)


def test_training_run_has_energy_per_cloud():
    est = estimate_training(
        {
            "accelerator": "H100",
            "accelerators_per_node": 8,
            "nodes": 2,
            "hours": 24,
            "capacity": "on_demand",
            "backend": "kubernetes",
            "regions": {"aws": "us-east-1"},
        }
    )
    row = next(r for r in est["clouds"] if r["cloud"] == "aws")
    offer = get_catalog().offer("aws", "us-east-1", row["instance_type"])
    watts = 8 * 700 * 0.8 + offer.vcpus * AWS_VCPU_W + offer.memory_gib * MEM_W_PER_GB
    kwh = watts * 2 * 24 * PUE["aws"] / 1000
    assert row["energy"]["kwh"] == pytest.approx(kwh, rel=1e-6)
    assert row["energy"]["kg_co2e"] == pytest.approx(kwh * VIRGINIA / 1000, rel=1e-3)
    assert all(r["energy"]["kg_co2e"] is not None for r in est["clouds"] if r["status"] == "priced")


def test_cli_stack_json_reports_kwh_and_co2_with_factors():
    r = runner.invoke(app, ["cost", "aws-dev", "--json"])
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["energy"]["kwh"] > 0 and doc["energy"]["kg_co2e"] > 0
    gpu = next(
        ln for ln in doc["lines"] if "train-h100" in ln["name"] and ln["type"].endswith("NodeGroup")
    )
    assert gpu["energy"]["kwh"] > 0 and gpu["energy"]["factors"]
    assert all(
        {"kwh", "kg_co2e", "not_estimated", "factors"} <= set(ln["energy"]) for ln in doc["lines"]
    )
    assert all(f["source"] and f["date"] for f in doc["energy"]["factors"])


def test_cli_table_has_energy_columns_and_factor_sources():
    r = runner.invoke(
        app, ["cost", "--preview-json", str(FIXTURES / "aws-preview.json")], env={"COLUMNS": "250"}
    )
    assert r.exit_code == 0, r.output
    assert "kWh/mo" in r.stdout and "kgCO2e/mo" in r.stdout and "n/e" in r.stdout
    assert "energy factors" in r.stdout and "eGRID" in r.stdout
    assert "not estimated: gpu-future" in r.stdout


def test_cli_training_table_has_energy_columns():
    r = runner.invoke(
        app, ["cost", "--training", "examples/training-cost.yaml"], env={"COLUMNS": "250"}
    )
    assert r.exit_code == 0, r.output
    assert "kgCO2e" in r.stdout and "H100 board power" in r.stdout


def test_compare_and_side_by_side_carry_carbon():
    a = estimate_preview(load_preview(FIXTURES / "aws-preview.json"))
    b = estimate_preview(load_preview(FIXTURES / "azure-preview.json"))
    from cost.estimate import compare_estimates
    from cost.report import markdown, side_by_side

    cmp = compare_estimates(a, b, label_a="aws", label_b="azure")
    assert cmp["diff_kg_co2e"] == pytest.approx(
        b["energy"]["kg_co2e"] - a["energy"]["kg_co2e"], abs=1e-3
    )
    both = side_by_side({"aws": a, "azure": b})
    assert both["energy"]["azure"]["kwh"] == b["energy"]["kwh"]
    assert f"{a['energy']['kg_co2e']:,.1f} kgCO2e / month" in markdown(a)
