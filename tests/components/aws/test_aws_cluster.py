"""EKS: control plane, node role, and one managed node group per spec pool."""

from __future__ import annotations

import json

import pytest

from components.aws.node_pools import plan_node_group
from components.spec import PlatformSpec
from cost.catalog import get_catalog

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"


def _groups(run):
    return {g.inputs["tags"]["pioneer:pool"]: g for g in run.of_type(NODE_GROUP)}


def _private_subnet_ids(run):
    return {
        s.id
        for s in run.of_type("aws:ec2/subnet:Subnet")
        if s.inputs["tags"]["pioneer.dev/tier"] == "private"
    }


def test_cluster_encrypts_secrets_logs_control_plane_and_stays_private(run_spec, base_config):
    run = run_spec(base_config("aws"))
    eks = run.one("aws:eks/cluster:Cluster")
    key_arn = run.one("aws:kms/key:Key").state["arn"]
    assert eks.inputs["encryptionConfig"] == {
        "resources": ["secrets"],
        "provider": {"keyArn": key_arn},
    }
    assert set(eks.inputs["enabledClusterLogTypes"]) == {
        "api",
        "audit",
        "authenticator",
        "controllerManager",
        "scheduler",
    }
    vpc = eks.inputs["vpcConfig"]
    # aws-dev: public endpoint limited to its authorized_cidrs (nodes still use the private one)
    assert vpc["endpointPrivateAccess"] is True and vpc["endpointPublicAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]
    assert set(vpc["subnetIds"]) == _private_subnet_ids(run)
    assert eks.inputs["version"] == "1.35"
    assert eks.inputs["deletionProtection"] is True
    assert eks.inputs["accessConfig"]["authenticationMode"] == "API"
    logs = run.by_name("mlp-aws-cluster-logs")
    assert logs.inputs["name"] == f"/aws/eks/{eks.inputs['name']}/cluster"
    assert logs.inputs["kmsKeyId"] == key_arn and logs.inputs["retentionInDays"] == 30


def test_public_endpoint_is_limited_to_authorized_cidrs(run_spec, base_config):
    cfg = base_config("aws")
    cfg["cluster"].update(private_endpoint=False, authorized_cidrs=["203.0.113.0/24"])
    vpc = run_spec(cfg).one("aws:eks/cluster:Cluster").inputs["vpcConfig"]
    assert vpc["endpointPublicAccess"] is True and vpc["endpointPrivateAccess"] is True
    assert vpc["publicAccessCidrs"] == ["203.0.113.0/24"]


def test_node_role_has_exactly_the_managed_policies_eks_nodes_need(run_spec, base_config):
    run = run_spec(base_config("aws"))
    role_arns = {g.inputs["nodeRoleArn"] for g in run.of_type(NODE_GROUP)}
    assert len(role_arns) == 1
    node_role = next(r for r in run.of_type("aws:iam/role:Role") if r.state["arn"] in role_arns)
    trust = json.loads(node_role.inputs["assumeRolePolicy"])
    assert trust["Statement"][0]["Principal"] == {"Service": "ec2.amazonaws.com"}
    attached = {
        a.inputs["policyArn"].rsplit("/", 1)[-1]
        for a in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
        if a.inputs["role"] == node_role.state["name"]
    }
    assert attached == {
        "AmazonEKSWorkerNodePolicy",
        "AmazonEKS_CNI_Policy",
        "AmazonEC2ContainerRegistryPullOnly",
    }
    assert not [
        p for p in run.of_type("aws:iam/rolePolicy:RolePolicy") if p.inputs["role"] == node_role.id
    ]


def test_spot_gpu_pool(run_spec, base_config):
    run = run_spec(base_config("aws"))
    ng = _groups(run)["train-h100"]
    assert ng.inputs["capacityType"] == "SPOT"
    assert ng.inputs["amiType"] == "AL2023_x86_64_NVIDIA"
    assert ng.inputs["instanceTypes"] == get_catalog().instance_types("aws", "us-east-1", "H100", 8)
    assert ng.inputs["scalingConfig"] == {"minSize": 0, "desiredSize": 0, "maxSize": 4}
    assert ng.inputs["taints"] == [
        {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
    ]
    assert ng.inputs["labels"]["pioneer.dev/accelerator"] == "H100"
    assert ng.inputs["labels"]["pioneer.dev/capacity"] == "spot"
    # A multi-node p5 pool uses EFA in a cluster placement group: one private subnet (one zone).
    assert len(ng.inputs["subnetIds"]) == 1
    assert set(ng.inputs["subnetIds"]) <= _private_subnet_ids(run)
    assert ng.inputs["clusterName"] == run.one("aws:eks/cluster:Cluster").inputs["name"]


def test_cpu_pool_is_on_demand_untainted_with_the_standard_ami(run_spec, base_config):
    ng = _groups(run_spec(base_config("aws")))["system"]
    assert ng.inputs["capacityType"] == "ON_DEMAND"
    assert ng.inputs["amiType"] == "AL2023_x86_64_STANDARD"
    assert ng.inputs["instanceTypes"] == ["m6i.xlarge"]
    assert ng.inputs["taints"] == []
    assert "pioneer.dev/accelerator" not in ng.inputs["labels"]
    assert ng.inputs["scalingConfig"] == {"minSize": 2, "desiredSize": 2, "maxSize": 3}


def _gpu_config(base_config, **pool):
    cfg = base_config("aws")
    cfg["node_pools"] = [cfg["node_pools"][0], {"name": "gpu", **pool}]
    return cfg


def test_spot_pool_diversifies_over_equivalent_instance_types(run_spec, base_config):
    cfg = _gpu_config(
        base_config, accelerator="A10G", accelerators_per_node=4, capacity="spot", max_nodes=2
    )
    ng = _groups(run_spec(cfg))["gpu"]
    expected = get_catalog().instance_types("aws", "us-east-1", "A10G", 4)
    assert len(expected) >= 2  # g5.12xlarge and g5.24xlarge carry 4 A10G each
    assert ng.inputs["instanceTypes"] == expected


def test_on_demand_pool_uses_the_cheapest_type_only(run_spec, base_config):
    cfg = _gpu_config(base_config, accelerator="A10G", accelerators_per_node=4, max_nodes=2)
    ng = _groups(run_spec(cfg))["gpu"]
    assert ng.inputs["capacityType"] == "ON_DEMAND"
    assert (
        ng.inputs["instanceTypes"]
        == get_catalog().instance_types("aws", "us-east-1", "A10G", 4)[:1]
    )
    assert ng.inputs["labels"]["pioneer.dev/capacity"] == "on_demand"


def test_explicit_instance_type_overrides_the_catalog(run_spec, base_config):
    cfg = _gpu_config(
        base_config,
        accelerator="A10G",
        accelerators_per_node=4,
        capacity="spot",
        instance_type="g5.24xlarge",
        max_nodes=2,
    )
    assert _groups(run_spec(cfg))["gpu"].inputs["instanceTypes"] == ["g5.24xlarge"]


def test_pool_scaled_to_zero_keeps_its_node_group(run_spec, base_config):
    cfg = _gpu_config(
        base_config,
        accelerator="L4",
        accelerators_per_node=1,
        capacity="spot",
        min_nodes=0,
        desired_nodes=0,
        max_nodes=3,
    )
    ng = _groups(run_spec(cfg))["gpu"]
    assert ng.inputs["scalingConfig"] == {"minSize": 0, "desiredSize": 0, "maxSize": 3}


def test_pool_with_max_zero_gets_no_node_group_but_is_listed_as_disabled(run_spec, base_config):
    cfg = _gpu_config(
        base_config,
        accelerator="L4",
        accelerators_per_node=1,
        capacity="spot",
        min_nodes=0,
        max_nodes=0,
    )
    run = run_spec(cfg)
    assert set(_groups(run)) == {"system"}
    assert not [r for r in run.resources if "-gpu" in r.name]
    listed = {p["name"]: p for p in run.outputs["node_pools"]}
    assert listed["gpu"]["enabled"] is False
    assert listed["gpu"]["instance_types"] == get_catalog().instance_types(
        "aws", "us-east-1", "L4", 1
    )
    assert listed["system"]["enabled"] is True


def test_several_gpu_pools_each_get_their_own_group(run_spec, base_config):
    cfg = base_config("aws")
    cfg["node_pools"] += [
        {"name": "infer-l4", "accelerator": "L4", "accelerators_per_node": 1, "max_nodes": 6},
        {
            "name": "train-a100",
            "accelerator": "A100",
            "accelerators_per_node": 8,
            "capacity": "spot",
            "max_nodes": 2,
        },
    ]
    groups = _groups(run_spec(cfg))
    assert set(groups) == {"system", "train-h100", "infer-l4", "train-a100"}
    assert groups["infer-l4"].inputs["capacityType"] == "ON_DEMAND"
    assert groups["infer-l4"].inputs["instanceTypes"] == ["g6.xlarge"]
    assert groups["train-a100"].inputs["instanceTypes"] == ["p4d.24xlarge"]
    for pool in ("train-h100", "infer-l4", "train-a100"):
        assert groups[pool].inputs["amiType"] == "AL2023_x86_64_NVIDIA"
        assert groups[pool].inputs["taints"][0]["key"] == "nvidia.com/gpu"


def test_launch_template_requires_imdsv2_and_encrypts_the_root_disk(run_spec, base_config):
    run = run_spec(base_config("aws"))
    ng = _groups(run)["train-h100"]
    lt = next(
        t
        for t in run.of_type("aws:ec2/launchTemplate:LaunchTemplate")
        if t.id == ng.inputs["launchTemplate"]["id"]
    )
    assert ng.inputs["launchTemplate"]["version"] == "1"
    assert lt.inputs["metadataOptions"]["httpTokens"] == "required"
    # Pods use EKS Pod Identity: no container may reach the node role through IMDS.
    assert lt.inputs["metadataOptions"]["httpPutResponseHopLimit"] == 1
    (disk,) = lt.inputs["blockDeviceMappings"]
    assert disk["ebs"]["encrypted"] == "true"
    assert disk["ebs"]["volumeSize"] == 500  # the pool's disk_size_gb
    assert "diskSize" not in ng.inputs  # set in the template; EKS rejects both


def test_tpu_pool_is_rejected_on_aws_at_the_spec_edge(base_config):
    from components.spec import SpecError

    cfg = base_config("aws")
    cfg["node_pools"].append(
        {"name": "tpu", "accelerator": "TPU-v5e", "accelerators_per_node": 4, "tpu_topology": "2x2"}
    )
    with pytest.raises(SpecError) as err:
        PlatformSpec.parse(cfg)
    assert any(
        e.startswith("node_pools[2].accelerator: TPU pools exist only on gcp")
        for e in err.value.errors
    ), err.value.errors


def test_plan_node_group_without_pulumi(base_config):
    spec = PlatformSpec.parse(base_config("aws"))
    plans = {p.name: plan_node_group(p, spec.region) for p in spec.node_pools}
    assert plans["train-h100"].capacity_type == "SPOT"
    assert plans["system"].taints == ()


def test_node_instances_and_volumes_carry_the_full_tag_set(run_spec, base_config):
    # Provider default tags do not reach instances an Auto Scaling group starts; cost
    # allocation by team/cost-center needs them on the launch template's tag specifications.
    run = run_spec(base_config("aws"), stack="dev")
    for lt in run.of_type("aws:ec2/launchTemplate:LaunchTemplate"):
        specs = {s["resourceType"]: s["tags"] for s in lt.inputs["tagSpecifications"]}
        assert set(specs) == {"instance", "volume"}
        for tags in specs.values():
            assert tags["team"] == "ml-platform" and tags["cost-center"] == "research"
            assert tags["pioneer:stack"] == "dev" and tags["pioneer:component"] == "EksCluster"
            assert tags["pioneer:pool"] in {"system", "train-h100"}
