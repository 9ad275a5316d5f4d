"""Real-format `pulumi preview --json` documents priced end to end, the shipped stacks,
the spec-level estimate, compare and markdown."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.spec import PlatformSpec
from cost.estimate import (
    PreviewFormatError,
    compare_estimates,
    estimate_preview,
    estimate_spec,
    load_preview,
)
from cost.report import markdown, side_by_side

FIXTURES = Path(__file__).parent / "fixtures"


def priced(cloud: str, usage=None):
    return estimate_preview(load_preview(FIXTURES / f"{cloud}-preview.json"), usage)


def test_aws_preview_document_end_to_end():
    est = priced("aws")
    # EKS 73 + system group 3 x 730 x 0.192 + 3 x 100 GB gp3 + NAT 730 x 0.045 + 100 GB
    # + bucket 100 GB x 0.023 + KMS key 1; the spot H100 group is at zero.
    expected = 73 + 3 * 730 * 0.192 + 3 * 100 * 0.08 + 730 * 0.045 + 100 * 0.045 + 2.3 + 1
    assert est["monthly_usd"] == pytest.approx(expected, abs=0.01)
    assert est["region"] == "us-east-1"  # from the provider reference, no region inputs
    assert est["counts"] == {"priced": 6, "partly_priced": 0, "free": 3, "not_priced": 2}
    not_priced = {ln["name"]: ln["reason"] for ln in est["lines"] if ln["status"] == "not_priced"}
    assert set(not_priced) == {"gpu-future", "events"}
    json.dumps(est)  # plain JSON all the way down
    comps = {c["component"]: c for c in est["components"]}
    assert comps["custom:ml:Cluster gpu"]["monthly_usd"] == pytest.approx(73 + 420.48 + 24)
    assert comps["custom:ml:Cluster gpu"]["not_priced"] == 1


def test_gcp_preview_document_end_to_end():
    est = priced("gcp", {"resources": {"a100": {"nodes": 1, "hours": 10}}})
    # zonal GKE (fee covered by the free-tier credit) + 2 x e2-standard-4 + 2 x 100 GB
    # + a100 spot 1 x 10 h + 200 GB x 10/730 + bucket 100 GB + NAT + key + TensorBoard 1 GiB
    expected = (
        0
        + 2 * 730 * 0.134023
        + 2 * 100 * 0.10
        + 10 * 15.42416
        + 200 * 0.10 * 10 / 730
        + 100 * 0.02
        + 730 * 0.0448
        + 100 * 0.045
        + 0.06
        + 10
    )
    assert est["monthly_usd"] == pytest.approx(expected, abs=0.02)
    assert est["counts"]["not_priced"] == 0
    assert est["catalog_dates"] == ["2025-06", "2026-07-30"]


def test_azure_preview_document_end_to_end():
    est = priced("azure")
    expected = 73 + 2 * 730 * 0.192 + 100 * 0.018 + 1.667 * 730 / 24 + 10 * 0.03
    assert est["monthly_usd"] == pytest.approx(expected, abs=0.01)
    assert {ln["name"] for ln in est["lines"] if ln["status"] == "free"} == {"rg", "ws"}


def test_deleted_resources_are_not_priced_and_bad_documents_are_rejected():
    doc = load_preview(FIXTURES / "aws-preview.json")
    before = estimate_preview(doc)["monthly_usd"]
    for step in doc["steps"]:
        if step["urn"].endswith("::nat"):
            step["op"] = "delete"
    assert estimate_preview(doc)["monthly_usd"] == pytest.approx(before - 37.35)
    with pytest.raises(PreviewFormatError, match="steps"):
        estimate_preview({"resources": []})
    with pytest.raises(PreviewFormatError, match=r"steps\[0\]"):
        estimate_preview({"steps": [{"op": "create"}]})


def test_compare_and_markdown():
    a = priced("aws")
    b = priced("aws", {"resources": {"gpu-h100": {"nodes": 1, "hours": 100}}})
    cmp = compare_estimates(a, b, label_a="before", label_b="after")
    assert cmp["diff_usd"] == pytest.approx(100 * 16.9508, abs=0.01)
    top = cmp["by_type"][0]
    assert top["type"] == "aws:eks/nodeGroup:NodeGroup" and top["diff_usd"] == cmp["diff_usd"]
    b["stack"] = "after"
    md = markdown(b, compare=cmp)
    assert md.startswith("### ")
    assert f"${b['monthly_usd']:,.2f} / month" in md
    assert "Change vs `before`: **+1,695.08 USD/month" in md
    assert "| `gpu-h100` | `aws:eks/nodeGroup:NodeGroup` | 100 node-hours | $1,695.08 |" in md
    assert "**Not priced**" in md and "`events` (`aws:sqs/queue:Queue`)" in md


def test_side_by_side_groups_sum_to_each_total():
    ests = {c: priced(c) for c in ("aws", "gcp", "azure")}
    table = side_by_side(ests)
    for name, est in ests.items():
        assert sum(r[name] for r in table["rows"].values()) == pytest.approx(
            est["monthly_usd"], abs=0.05
        )
    assert table["rows"]["Kubernetes control plane"]["azure"] == pytest.approx(73.0)
    assert table["not_priced"]["node pools / compute"]["aws"] == 1


def test_estimate_spec_prices_pools_from_the_spec(shipped_spec):
    spec: PlatformSpec = shipped_spec("aws-dev")
    est = estimate_spec(spec)
    sys, gpu = est["pools"]["system"], est["pools"]["train-h100"]
    assert sys["instance_type"] == "m6i.xlarge"
    assert sys["monthly_usd"] == pytest.approx(2 * 730 * 0.192)
    assert gpu["instance_type"] == "p5.48xlarge" and gpu["monthly_usd"] == 0.0
    assert gpu["max_monthly_usd"] == pytest.approx(4 * 730 * 16.9508, abs=0.01)
    with_use = estimate_spec(spec, {"resources": {"train-h100": {"nodes": 1, "hours": 100}}})
    assert with_use["monthly_usd"] == pytest.approx(280.32 + 1695.08, abs=0.01)


def test_shipped_stack_plan_is_priced_with_its_usage_file():
    from cost.estimate import estimate_stack

    est = estimate_stack("aws-dev")
    assert est["usage"]["source"].endswith("usage.aws-dev.yaml")
    gpu = next(
        ln
        for ln in est["lines"]
        if ln["type"] == "aws:eks/nodeGroup:NodeGroup" and "train-h100" in ln["name"]
    )
    assert gpu["charges"][0]["monthly_usd"] == pytest.approx(100 * 16.9508, abs=0.01)
    assert est["counts"]["not_priced"] == 0
    assert est["monthly_usd"] > 2000
    # system 3 x m6i.xlarge + train 4 x spot p5.48xlarge, all month: the budget's worst case
    assert est["node_pools"]["max_monthly_usd"] == pytest.approx(
        730 * (3 * 0.192 + 4 * 16.9508), abs=0.01
    )


def test_unpriced_node_pool_makes_the_estimate_incomplete():
    """An AKS pool in a region the catalog does not price: the estimate says it is incomplete."""
    from cost.estimate import estimate_preview
    from cost.report import incomplete_note

    root = {"type": "pulumi:pulumi:Stack", "urn": "urn:s", "custom": False, "inputs": {}}
    pool = {
        "type": "azure-native:containerservice:AgentPool",
        "urn": "urn:pulumi:t::p::azure-native:containerservice:AgentPool::workers",
        "custom": True,
        "parent": "urn:s",
        "inputs": {"vmSize": "Standard_D4s_v5", "count": 41, "location": "brazilsouth"},
    }
    est = estimate_preview({"steps": [{"op": "create", "newState": s} for s in (root, pool)]})
    assert est["complete"] is False
    assert [m["name"] for m in est["unpriced_compute"]] == ["workers"]
    assert incomplete_note(est).startswith("INCOMPLETE: 1 compute resource(s) not priced")
