"""EKS GPU pools scale from zero (cluster autoscaler) and multi-node p5 pools get EFA."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from components.aws.autoscaler import TEMPLATE, policy_document, template_node
from components.aws.interconnect import EFA_INTERFACES, efa_interfaces
from components.spec import PlatformSpec
from stacks.plan import run_plan
from training.backends import kubernetes as k8s_backend
from training.job import TrainingJob


@pytest.fixture(scope="module")
def aws_dev():
    return run_plan("aws-dev").run


def _of(run, typ):
    return [r for r in run.resources if r.type == typ]


def _asg_tags(run) -> dict[str, dict[str, str]]:
    """Pool name -> the tags pioneer puts on that pool's Auto Scaling group."""
    out: dict[str, dict[str, str]] = {}
    for r in _of(run, "aws:autoscaling/tag:Tag"):
        pool = r.name.split("-cluster-", 1)[1].rsplit("-asg-tag-", 1)[0]
        out.setdefault(pool, {})[r.inputs["tag"]["key"]] = r.inputs["tag"]["value"]
    return out


def _schedulable(pod: dict, node: dict) -> bool:
    """The scheduler's three checks the autoscaler simulates on a template node."""
    spec = pod["spec"]
    if any(node["labels"].get(k) != v for k, v in spec.get("nodeSelector", {}).items()):
        return False
    for taint in node["taints"]:
        if not any(
            t["key"] == taint["key"]
            and t.get("effect", taint["effect"]) == taint["effect"]
            and (t["operator"] == "Exists" or t.get("value") == taint["value"])
            for t in spec.get("tolerations", [])
        ):
            return False
    for c in spec["containers"]:
        for res, qty in c.get("resources", {}).get("limits", {}).items():
            if "/" in res and int(node["allocatable"].get(res, 0)) < int(qty):
                return False
    return True


def test_the_plan_has_the_autoscaler_with_its_pod_identity_and_release(aws_dev):
    (release,) = [r for r in _of(aws_dev, "kubernetes:helm.sh/v3:Release")
                  if r.inputs["chart"] == "cluster-autoscaler"]  # fmt: skip
    assert release.inputs["values"]["autoDiscovery"]["clusterName"] == "mlp-aws-aws-dev"
    assert release.inputs["values"]["image"]["tag"].startswith("v1.")
    (assoc,) = [r for r in _of(aws_dev, "aws:eks/podIdentityAssociation:PodIdentityAssociation")
                if r.inputs["serviceAccount"] == "cluster-autoscaler"]  # fmt: skip
    assert assoc.inputs["namespace"] == "kube-system"


def test_autoscaler_may_change_only_this_clusters_groups():
    doc = json.loads(policy_document("c1"))
    scale = next(s for s in doc["Statement"] if s["Sid"] == "ScaleOwnGroups")
    assert scale["Condition"]["StringEquals"] == {
        "aws:ResourceTag/k8s.io/cluster-autoscaler/c1": "owned"
    }
    actions = [a for s in doc["Statement"] for a in s["Action"]]
    assert not any("*" in a for a in actions)


def test_a_pending_training_pod_fits_exactly_one_pools_scale_from_zero_template(aws_dev):
    outputs = dict(run_plan("aws-dev").run.outputs)
    job = TrainingJob(name="lm", source_dir=".", nodes=2, pool="train-h100",
                      args=("--model", "lm"))  # fmt: skip
    js = next(o for o in k8s_backend.render(job, outputs) if o["kind"] == "JobSet")
    pod = js["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]
    tags = _asg_tags(aws_dev)
    assert set(tags) == {"system", "train-h100"}
    fits = [pool for pool, t in tags.items() if _schedulable(pod, template_node(t))]
    assert fits == ["train-h100"]
    # Discovery: every group carries both tags the autoscaler's auto-discovery matches.
    for t in tags.values():
        assert t["k8s.io/cluster-autoscaler/enabled"] == "true"
        assert t["k8s.io/cluster-autoscaler/mlp-aws-aws-dev"] == "owned"
    assert tags["train-h100"][f"{TEMPLATE}/resources/nvidia.com/gpu"] == "8"
    # The multi-node pod asks for every EFA interface of its node, and NCCL uses them.
    limits = pod["spec"]["containers"][0]["resources"]["limits"]
    assert limits["vpc.amazonaws.com/efa"] == "32" and limits["nvidia.com/gpu"] == "8"
    env = {e["name"]: e.get("value") for e in pod["spec"]["containers"][0]["env"]}
    assert env["FI_PROVIDER"] == "efa" and env["FI_EFA_USE_DEVICE_RDMA"] == "1"


def test_p5_pool_gets_efa_on_every_network_card_and_a_cluster_placement_group(aws_dev):
    (lt,) = [r for r in _of(aws_dev, "aws:ec2/launchTemplate:LaunchTemplate")
             if "train-h100" in r.name]  # fmt: skip
    nics = lt.inputs["networkInterfaces"]
    assert len(nics) == EFA_INTERFACES["p5.48xlarge"] == 32
    assert nics[0]["interfaceType"] == "efa"
    assert {n["interfaceType"] for n in nics[1:]} == {"efa-only"}
    assert sorted(int(n["networkCardIndex"]) for n in nics) == list(range(32))
    # Interfaces the template defines must carry the cluster's group and the workloads'.
    assert all(len(n["securityGroups"]) == 2 and all(n["securityGroups"]) for n in nics)
    (pg,) = _of(aws_dev, "aws:ec2/placementGroup:PlacementGroup")
    assert pg.inputs["strategy"] == "cluster"
    assert lt.inputs["placement"]["groupName"] == pg.state["name"]
    (ng,) = [r for r in _of(aws_dev, "aws:eks/nodeGroup:NodeGroup") if "train-h100" in r.name]
    assert len(ng.inputs["subnetIds"]) == 1  # a cluster placement group lives in one zone
    charts = {r.inputs["chart"] for r in _of(aws_dev, "kubernetes:helm.sh/v3:Release")}
    assert "aws-efa-k8s-device-plugin" in charts


def test_cpu_pools_and_single_node_pools_get_no_efa(base_config):
    cfg = base_config("aws")
    cfg["node_pools"][1]["max_nodes"] = 1
    spec = PlatformSpec.parse(cfg)
    from components.aws.node_pools import plan_node_group

    assert [plan_node_group(p, spec.region).efa_interfaces for p in spec.node_pools] == [0, 0]
    assert efa_interfaces(["p5.48xlarge", "p4d.24xlarge"]) == 0  # card counts differ


def test_gcp_a3_and_azure_nd_multi_node_plans_use_the_host_nic_and_say_so():
    from cost.scaling import INTER_NODE_GBPS, fabric_note, inter_node_gbps, link_gbps

    # What the cluster pioneer provisions gets, below the fabric's brochure figure.
    assert inter_node_gbps("a3-highgpu-8g") == 12.5 < INTER_NODE_GBPS["a3-high"]
    assert inter_node_gbps("Standard_ND96isr_H100_v5") == 10 < INTER_NODE_GBPS["Standard_ND96"]
    assert inter_node_gbps("Standard_ND96amsr_A100_v4") == 3
    assert "GPUDirect-TCPX" in fabric_note("a3-highgpu-8g")
    assert "InfiniBand" in fabric_note("Standard_ND96isr_H100_v5")
    # EFA is provisioned: p5 keeps its fabric figure and no note.
    assert fabric_note("p5.48xlarge") is None and link_gbps("H100", "p5.48xlarge", 2) == 400


def test_optimizer_explains_the_reduced_bandwidth_of_a_multi_node_gcp_plan():
    import yaml

    from cost.optimize import optimize
    from cost.workload import Workload

    doc = yaml.safe_load(Path("examples/reference-workload.yaml").read_text())
    # 16 H100s on GCP within 12 h: a two-node A3 plan, whose fabric pioneer does not provision.
    doc.update(clouds=["gcp"], accelerators=["H100"], deadline_hours=12, budget_usd=None)
    result = optimize(Workload.model_validate(doc))
    assert result.best is not None and result.best.nodes > 1
    (line,) = [x for x in result.explanation if x.startswith("interconnect:")]
    assert "not provisioned" in line and "GB/s per node" in line


def _policy_findings(run, rule_id):
    from components.policy import RULES_BY_ID
    from components.policy.model import Resource, Stack

    resources = [
        Resource(type=r.type, urn=r.urn, name=r.name, inputs=r.inputs, id=r.id)
        for r in run.resources
    ]
    stack = Stack(resources=resources)
    rule = RULES_BY_ID[rule_id]
    found = list(rule.check_stack(stack)) if rule.check_stack else []
    if rule.check_resource:
        found += [m for r in resources if r.type in rule.types for m in rule.check_resource(r)]
    return found


def test_efa_rule_passes_aws_dev_and_fails_a_p5_pool_without_efa(aws_dev, monkeypatch):
    assert _policy_findings(aws_dev, "compute-multi-node-efa") == []
    # Take EFA off the launch templates: the mandatory rule names the node group.
    for r in aws_dev.resources:
        if r.type == "aws:ec2/launchTemplate:LaunchTemplate":
            monkeypatch.setitem(r.inputs, "networkInterfaces", None)
    (finding,) = _policy_findings(aws_dev, "compute-multi-node-efa")
    assert "p5.48xlarge" in finding.message and "without EFA" in finding.message


def test_gcp_multi_node_a3_pool_is_reported_as_host_nic_only(run_spec, base_config):
    cfg = base_config("gcp")
    cfg["node_pools"] = [p for p in cfg["node_pools"] if p["name"] == "system"] + [
        {"name": "train-h100", "accelerator": "H100", "accelerators_per_node": 8,
         "capacity": "spot", "min_nodes": 0, "max_nodes": 2},
    ]  # fmt: skip
    run = run_spec(cfg)
    found = _policy_findings(run, "compute-fabric-not-provisioned")
    assert len(found) == 1 and "a3-" in found[0] and "host NIC" in found[0]
