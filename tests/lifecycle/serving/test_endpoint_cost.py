"""Endpoint cost at min and max replicas, hand-computed from the catalog's sourced prices."""

from __future__ import annotations

import pytest

from cost.serving import endpoint_cost, per_thousand


def test_vertex_n2_standard_4_at_one_and_three_replicas():
    # Compute Engine n2-standard-4 us-central1 $0.194236/h x Vertex premium 1.15 = $0.2233714/h
    c = endpoint_cost("vertex", "gcp", "us-central1", "n2-standard-4", 1, 3)
    assert c.replica_usd_per_hour == pytest.approx(0.2233714, abs=1e-6)
    assert c.monthly_usd_min == pytest.approx(0.2233714 * 730, abs=0.01)  # 163.06
    assert c.monthly_usd_max == pytest.approx(0.2233714 * 730 * 3, abs=0.01)  # 489.18


def test_azureml_has_no_premium_over_the_vm():
    # Standard_D4s_v5 eastus $0.192/h, Azure ML bills VM rates: 2 x 0.192 x 730 = 280.32
    c = endpoint_cost("azureml", "azure", "eastus", "Standard_D4s_v5", 2, 2)
    assert (c.monthly_usd_min, c.monthly_usd_max) == (280.32, 280.32)


def test_kubernetes_is_priced_at_the_node_without_a_managed_premium():
    c = endpoint_cost("kubernetes", "aws", "us-east-1", "m6i.xlarge", 1, 4)
    assert c.replica_usd_per_hour == 0.192 and c.monthly_usd_max == pytest.approx(560.64)


def test_sagemaker_adds_the_ml_premium():
    c = endpoint_cost("sagemaker", "aws", "us-east-1", "m6i.xlarge", 1, 1)
    assert c.replica_usd_per_hour == pytest.approx(0.192 * c.premium_ratio)
    assert c.premium_ratio > 1


def test_cost_per_thousand_predictions_follows_throughput():
    c = endpoint_cost("azureml", "azure", "eastus", "Standard_D4s_v5", 1, 1)
    # 100 predictions/s: 1,000 take 10 s = 1/360 h at $0.192/h
    assert per_thousand(c, 100)["usd"] == pytest.approx(0.192 / 360)
    assert per_thousand(c, 200)["usd"] == pytest.approx(0.192 / 720)
    assert per_thousand(c, 100)["kwh"] > 0


def test_the_cheapest_endpoint_for_a_request_rate():
    from cost.serving import cheapest_endpoints

    # 100 rps per vCPU: 1,000 rps needs 3 x 4-vCPU replicas (400 rps each) or 2 x 8-vCPU.
    options = cheapest_endpoints(1000, p99_ms=50, rps_per_vcpu=100, measured_p99_ms=10)
    best = options[0]
    d4 = next(o for o in options if o.target == "azureml" and o.instance_type == "Standard_D4s_v5")
    assert d4.replicas == 3 and d4.usd_per_hour == pytest.approx(3 * 0.192)
    n2_8 = next(
        o for o in options if o.instance_type == "n2-standard-8" and o.region == "us-central1"
    )
    assert n2_8.replicas == 2 and n2_8.usd_per_hour == pytest.approx(2 * 0.388472 * 1.15)
    # e2-standard-2 (2 vCPU, 200 rps): 5 x $0.067011 x 1.15 = $0.3853/h beats 3 x D4s_v5 $0.576
    assert (best.target, best.instance_type, best.region, best.replicas) == (
        "vertex", "e2-standard-2", "us-central1", 5,
    )  # fmt: skip
    assert best.usd_per_hour == pytest.approx(5 * 0.067011 * 1.15, abs=1e-5)
    assert cheapest_endpoints(1000, p99_ms=5, rps_per_vcpu=100, measured_p99_ms=10) == []
