"""`pioneer cost --training`: one run priced on each cloud."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cost.catalog import get_catalog
from cost.training_cost import TrainingCostError, estimate_training
from stacks.cli import app


def test_sagemaker_run_compute_premium_storage_egress():
    est = estimate_training(
        {
            "accelerator": "H100",
            "nodes": 2,
            "hours": 10,
            "capacity": "on_demand",
            "backend": "sagemaker",
            "regions": {"aws": "us-east-1"},
            "storage_gb": 730,
            "egress_gb": 100,
        }
    )
    (aws,) = est["clouds"]
    cheapest = min(
        (o for o in get_catalog().offers_for("aws", "us-east-1", "H100", 8)),
        key=lambda o: o.on_demand_usd_per_hour,
    )
    compute = 2 * 10 * cheapest.on_demand_usd_per_hour
    assert aws["instance_type"] == cheapest.instance_type == "p5.48xlarge"
    assert aws["compute_usd"] == pytest.approx(compute, abs=0.01)
    assert aws["managed_premium"]["ratio"] == pytest.approx(1.15, abs=0.01)
    assert aws["managed_premium_usd"] == pytest.approx(compute * 0.15, abs=0.05)
    assert aws["storage_usd"] == pytest.approx(730 * 0.023 * 10 / 730, abs=0.01)
    assert aws["egress_usd"] == pytest.approx(100 * 0.09)


def test_work_is_divided_over_nodes_and_kubernetes_has_no_premium():
    est = estimate_training(
        {
            "accelerator": "A100-80GB",
            "accelerators_per_node": 8,
            "nodes": 2,
            "accelerator_hours": 160,
            "capacity": "spot",
            "backend": "kubernetes",
        }
    )
    assert est["job"]["hours"] == 10
    priced = [r for r in est["clouds"] if r["status"] == "priced"]
    assert {r["cloud"] for r in priced} == {"aws", "gcp", "azure"}
    assert all(r["managed_premium_usd"] == 0 for r in priced)
    totals = [r["total_usd"] for r in priced]
    assert totals == sorted(totals) and est["cheapest"] == priced[0]["cloud"]


@pytest.mark.parametrize(
    ("doc", "field"),
    [
        ({"accelerator": "H1000", "hours": 1}, "accelerator"),
        ({"accelerator": "H100"}, "hours"),
        ({"accelerator": "H100", "hours": 1, "capacity": "cheap"}, "capacity"),
        ({"accelerator": "H100", "hours": 1, "backend": "vertex", "clouds": ["aws"]}, "clouds"),
        ({"accelerator": "H100", "hours": 1, "gpus": 8}, "unknown field"),
    ],
)
def test_bad_jobs_name_the_field(doc, field):
    with pytest.raises(TrainingCostError, match=field):
        estimate_training(doc)


def test_cli_training(tmp_path: Path):
    job = tmp_path / "job.yaml"
    job.write_text("accelerator: H100\nnodes: 1\nhours: 5\ncapacity: spot\n")
    r = CliRunner().invoke(app, ["cost", "--training", str(job), "--json"])
    assert r.exit_code == 0, r.output
    assert '"cheapest"' in r.stdout
