"""Cost rules: bounded spot pools, opt-in for big on-demand GPU pools, the budget."""

from __future__ import annotations

import pytest

from components import PlatformSpec
from components.policy import evaluate, get_rule
from tests.policy.helpers import ROOT, doc_of, findings, res, urns

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
GKE_POOL = "gcp:container/nodePool:NodePool"
AGENT_POOL = "azure-native:containerservice:AgentPool"
AML = "azure-native:machinelearningservices:Compute"


# ---- cost-spot-max-size ---------------------------------------------------------------------


def test_eks_spot_group_needs_max_size():
    good = res(
        NODE_GROUP, "g", {"capacityType": "SPOT", "scalingConfig": {"minSize": 0, "maxSize": 4}}
    )
    bad = res(NODE_GROUP, "g", {"capacityType": "SPOT", "scalingConfig": {"minSize": 0}})
    on_demand = res(NODE_GROUP, "g", {"capacityType": "ON_DEMAND", "scalingConfig": {"minSize": 0}})
    assert findings("cost-spot-max-size", good) == []
    assert findings("cost-spot-max-size", bad)
    assert findings("cost-spot-max-size", on_demand) == []


def test_gke_spot_pool_autoscaling_needs_a_max():
    spot = {"nodeConfig": {"spot": True}}
    assert (
        findings(
            "cost-spot-max-size",
            res(GKE_POOL, "p", {**spot, "autoscaling": {"minNodeCount": 0, "maxNodeCount": 4}}),
        )
        == []
    )
    assert (
        findings(
            "cost-spot-max-size",
            res(
                GKE_POOL,
                "p",
                {**spot, "autoscaling": {"totalMinNodeCount": 0, "totalMaxNodeCount": 4}},
            ),
        )
        == []
    )
    assert findings(
        "cost-spot-max-size", res(GKE_POOL, "p", {**spot, "autoscaling": {"minNodeCount": 0}})
    )
    assert findings(
        "cost-spot-max-size",
        res(
            GKE_POOL, "p", {"nodeConfig": {"preemptible": True}, "autoscaling": {"minNodeCount": 0}}
        ),
    )


def test_aks_spot_pool_needs_max_count():
    spot = {"scaleSetPriority": "Spot", "enableAutoScaling": True, "minCount": 0}
    assert findings("cost-spot-max-size", res(AGENT_POOL, "p", {**spot, "maxCount": 4})) == []
    assert findings("cost-spot-max-size", res(AGENT_POOL, "p", spot))
    regular = {**spot, "scaleSetPriority": "Regular"}
    assert findings("cost-spot-max-size", res(AGENT_POOL, "p", regular)) == []


def test_aml_low_priority_needs_max_node_count():
    def aml(scale: dict) -> dict:
        return res(
            AML,
            "c",
            {
                "properties": {
                    "computeType": "AmlCompute",
                    "properties": {"vmPriority": "LowPriority", "scaleSettings": scale},
                }
            },
        )

    assert findings("cost-spot-max-size", aml({"minNodeCount": 0, "maxNodeCount": 2})) == []
    assert findings("cost-spot-max-size", aml({"minNodeCount": 0, "maxNodeCount": 0}))


# ---- cost-on-demand-gpu-opt-in --------------------------------------------------------------


def spec_with(base_config, cloud: str, **pool_changes) -> PlatformSpec:
    config = base_config(cloud)
    config["node_pools"][1].update(pool_changes)
    return PlatformSpec.parse(config)


def aws_pool_resources() -> list[dict]:
    return [
        res(NODE_GROUP, "mlp-aws-cluster-system-ng", {"tags": {"pioneer:pool": "system"}}),
        res(NODE_GROUP, "mlp-aws-cluster-train-h100-ng", {"tags": {"pioneer:pool": "train-h100"}}),
    ]


def test_big_on_demand_pool_without_opt_in_fails_on_its_node_group(base_config):
    spec = spec_with(base_config, "aws", capacity="on_demand", max_nodes=4)
    found = urns("cost-on-demand-gpu-opt-in", *aws_pool_resources(), spec=spec)
    assert found == [aws_pool_resources()[1]["urn"]]
    assert "32 x H100" in findings("cost-on-demand-gpu-opt-in", *aws_pool_resources(), spec=spec)[0]


@pytest.mark.parametrize(
    "changes",
    [
        {"capacity": "on_demand", "max_nodes": 4, "on_demand_opt_in": True},  # explicit opt-in
        {"capacity": "on_demand", "max_nodes": 1},  # 8 GPUs: at the threshold, not above
        {"capacity": "spot", "max_nodes": 4},
    ],
)
def test_opt_in_small_or_spot_pools_pass(base_config, changes):
    spec = spec_with(base_config, "aws", **changes)
    assert findings("cost-on-demand-gpu-opt-in", *aws_pool_resources(), spec=spec) == []


def test_finding_falls_back_to_the_platform_when_no_pool_resource_matches(base_config):
    spec = spec_with(base_config, "aws", capacity="on_demand", max_nodes=4)
    platform = res("pioneer:index:MlPlatform", "mlp-aws", custom=False)
    assert urns("cost-on-demand-gpu-opt-in", platform, spec=spec) == [platform["urn"]]


def test_without_a_spec_the_pool_tag_is_the_opt_in():
    """CrossGuard on a program without pioneer config: the resource's own inputs decide."""
    big = {
        "capacityType": "ON_DEMAND",
        "amiType": "AL2023_x86_64_NVIDIA",
        "instanceTypes": ["p5.48xlarge"],
        "scalingConfig": {"minSize": 0, "maxSize": 2},
    }
    assert findings("cost-on-demand-gpu-opt-in", res(NODE_GROUP, "g", big))
    tagged = {**big, "tags": {"pioneer:on-demand-opt-in": "true"}}
    assert findings("cost-on-demand-gpu-opt-in", res(NODE_GROUP, "g", tagged)) == []
    # the policy pack passes the pools a pioneer stack config opted in (matched by pool label)
    labelled = res(NODE_GROUP, "g", {**big, "labels": {"pioneer.dev/pool": "train"}})
    rule = [get_rule("cost-on-demand-gpu-opt-in")]
    opted = evaluate(
        doc_of(labelled),
        None,
        rules=rule,
        config={"cost-on-demand-gpu-opt-in": {"optedInPools": ["train"]}},
    )
    assert opted["violations"] == []
    one_node = {**big, "scalingConfig": {"minSize": 0, "maxSize": 1}}
    assert findings("cost-on-demand-gpu-opt-in", res(NODE_GROUP, "g", one_node)) == []
    gke = {
        "nodeConfig": {"guestAccelerators": [{"type": "nvidia-l4", "count": 1}]},
        "autoscaling": {"maxNodeCount": 8},
    }
    assert findings("cost-on-demand-gpu-opt-in", res(GKE_POOL, "p", gke)) == []  # 8 x 1 GPU
    assert findings(
        "cost-on-demand-gpu-opt-in", res(GKE_POOL, "p", {**gke, "autoscaling": {"maxNodeCount": 9}})
    )
    assert findings(
        "cost-on-demand-gpu-opt-in",
        res(GKE_POOL, "p", {**gke, "autoscaling": {"totalMaxNodeCount": 9}}),
    )


# ---- cost-within-budget ---------------------------------------------------------------------


def test_estimate_above_budget_fails_on_the_stack(shipped_spec):
    spec = shipped_spec("aws-dev")  # budget 5000
    over = evaluate(
        doc_of(cost={"monthly_usd": 5000.01}), spec, rules=[get_rule("cost-within-budget")]
    )
    assert [v["urn"] for v in over["violations"]] == [ROOT]
    assert "exceeds the budget $5,000.00" in over["violations"][0]["message"]
    at = evaluate(
        doc_of(cost={"monthly_usd": 5000.0}), spec, rules=[get_rule("cost-within-budget")]
    )
    assert at["violations"] == []


def test_budget_rule_is_skipped_not_passed_without_estimate_or_budget(base_config, shipped_spec):
    rule = [get_rule("cost-within-budget")]
    no_cost = evaluate(doc_of(), shipped_spec("aws-dev"), rules=rule)
    assert no_cost["rules_checked"] == 0 and no_cost["skipped"][0]["rule"] == "cost-within-budget"
    config = base_config("aws")
    del config["budget"]
    no_budget = evaluate(doc_of(cost={"monthly_usd": 10.0}), PlatformSpec.parse(config), rules=rule)
    assert "no budget" in no_budget["skipped"][0]["reason"]


def test_budget_from_policy_config_when_there_is_no_spec():
    rule = [get_rule("cost-within-budget")]
    result = evaluate(
        doc_of(cost={"monthly_usd": 120.0}),
        None,
        rules=rule,
        config={"cost-within-budget": {"monthlyUsd": 100}},
    )
    assert result["mandatory"] == 1


def test_budget_defined_advisory(base_config, shipped_spec):
    assert findings("cost-budget-defined", spec=shipped_spec("aws-dev")) == []
    config = base_config("aws")
    del config["budget"]
    assert findings("cost-budget-defined", spec=PlatformSpec.parse(config))


def test_budget_rule_fails_when_compute_is_not_priced(shipped_spec):
    """A total without its node pools is not under budget: the rule says it cannot check."""
    spec = shipped_spec("aws-dev")  # budget 5000
    missing = [{"name": "pool-a", "type": NODE_GROUP, "reason": "no price"}]
    result = evaluate(
        doc_of(cost={"monthly_usd": 113.49, "unpriced_compute": missing}),
        spec,
        rules=[get_rule("cost-within-budget")],
    )
    assert result["mandatory"] == 1
    assert "cannot check the budget" in result["violations"][0]["message"]
    assert "pool-a" in result["violations"][0]["message"]
