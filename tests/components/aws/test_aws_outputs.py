"""Stack outputs the training backends read, tags, and the offline plan of the aws-dev stack."""

from __future__ import annotations

import importlib
import inspect
import json

from components.aws import OUTPUT_KEYS
from stacks.plan import preview_document, run_plan


def _taggable(type_token: str) -> bool:
    """Whether the pulumi_aws resource class for a type token takes ``tags``."""
    module, cls = type_token.split(":")[1].split("/")[0], type_token.rsplit(":", 1)[1]
    klass = getattr(importlib.import_module(f"pulumi_aws.{module}"), cls)
    return "tags" in inspect.signature(klass._internal_init).parameters


def test_outputs_have_the_documented_keys_and_real_values(run_spec, base_config):
    run = run_spec(base_config("aws"))
    out = run.outputs
    assert set(OUTPUT_KEYS) <= set(out)
    assert out["region"] == "us-east-1"
    assert out["bucket_arn"] == f"arn:aws:s3:::{out['bucket_name']}"
    assert out["kms_key_arn"] == run.one("aws:kms/key:Key").state["arn"]
    assert out["cluster_name"] == run.one("aws:eks/cluster:Cluster").inputs["name"]
    assert out["cluster_endpoint"].startswith("https://")
    assert out["sagemaker_role_arn"].startswith("arn:aws:iam::123456789012:role/")
    assert out["registry_url"].startswith("123456789012.dkr.ecr.us-east-1.amazonaws.com/")
    assert out["vpc_id"] == run.one("aws:ec2/vpc:Vpc").id
    assert len(out["private_subnet_ids"]) == 2 and all(
        s.startswith("subnet-") for s in out["private_subnet_ids"]
    )
    assert out["security_group_id"].startswith("sg-")
    assert out["log_group_name"] == run.by_name("mlp-aws-sagemaker-logs").inputs["name"]
    pools = {p["name"]: p for p in out["node_pools"]}
    assert pools["train-h100"] | {"instance_types": None} == {
        "name": "train-h100",
        "capacity": "spot",
        "capacity_type": "SPOT",
        "accelerator": "H100",
        "accelerators_per_node": 8,
        "instance_types": None,
        "min_nodes": 0,
        "max_nodes": 4,
        "enabled": True,
        "efa_interfaces": 32,
    }
    assert pools["system"]["capacity_type"] == "ON_DEMAND"
    assert pools["system"]["efa_interfaces"] == 0


def test_kubeconfig_is_a_secret_using_aws_eks_get_token(run_spec, base_config):
    run = run_spec(base_config("aws"))
    assert "kubeconfig" in run.secret_outputs
    cfg = json.loads(run.outputs["kubeconfig"])
    cluster = cfg["clusters"][0]["cluster"]
    assert cluster["server"] == run.outputs["cluster_endpoint"]
    assert cluster["certificate-authority-data"]
    assert cfg["current-context"] == run.outputs["cluster_name"]
    exec_ = cfg["users"][0]["user"]["exec"]
    assert exec_["command"] == "aws"
    assert exec_["args"][:4] == ["eks", "get-token", "--cluster-name", run.outputs["cluster_name"]]
    assert "us-east-1" in exec_["args"]
    assert "token" not in cfg["users"][0]["user"]  # no credentials embedded


def test_provider_default_tags_and_component_tags(run_spec, base_config):
    run = run_spec(base_config("aws"), stack="dev")
    provider = run.one("pulumi:providers:aws")
    assert provider.inputs["region"] == "us-east-1"
    default = (
        json.loads(provider.inputs["defaultTags"])
        if isinstance(provider.inputs["defaultTags"], str)
        else provider.inputs["defaultTags"]
    )
    assert default["tags"] == {
        "team": "ml-platform",
        "env": "dev",
        "cost-center": "research",
        "pioneer:stack": "dev",
        "pioneer:component": "MlPlatform",
    }
    for r in run.resources:
        if r.custom and r.type.startswith("aws:") and _taggable(r.type):
            assert "pioneer:component" in (r.inputs.get("tags") or {}), r.type
            assert r.provider.startswith(provider.urn), r.type
    assert run.one("aws:eks/cluster:Cluster").inputs["tags"]["pioneer:component"] == "EksCluster"


def test_components_use_pioneer_aws_type_tokens_and_nest_under_the_platform(run_spec, base_config):
    run = run_spec(base_config("aws"))
    platform = run.one("pioneer:index:MlPlatform")
    components = [r for r in run.resources if r.type.startswith("pioneer:aws:")]
    top = {r.type for r in components if r.parent == platform.urn}
    assert top == {
        "pioneer:aws:Network",
        "pioneer:aws:PlatformKey",
        "pioneer:aws:DataBucket",
        "pioneer:aws:ImageRepository",
        "pioneer:aws:EksCluster",
        "pioneer:aws:ClusterAutoscaler",
        "pioneer:aws:PodNetworkPolicy",
        "pioneer:aws:SageMakerPlatform",
    }
    urns = {r.urn: r for r in run.resources}
    for r in run.resources:
        if r.custom and r.type.startswith("aws:"):
            parent = urns[r.parent]
            assert parent.type.startswith(("pioneer:aws:", "pioneer:k8s:")), (r.type, parent.type)
            assert r.name.startswith(parent.name), (r.name, parent.name)


def test_offline_plan_of_aws_dev_shows_what_the_issue_requires():
    doc = preview_document(run_plan("aws-dev"))
    states = [s["newState"] for s in doc["steps"]]

    def of(t):
        return [s["inputs"] for s in states if s["type"] == t]

    assert of("aws:ec2/vpc:Vpc") and len(of("aws:ec2/subnet:Subnet")) == 4
    assert len(of("aws:ec2/natGateway:NatGateway")) == 1
    assert of("aws:kms/key:Key")[0]["enableKeyRotation"] is True
    assert of("aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock")[0]["blockPublicPolicy"]
    sse = of(
        "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
    )
    assert sse[0]["rules"][0]["applyServerSideEncryptionByDefault"]["sseAlgorithm"] == "aws:kms"
    assert (
        of("aws:s3/bucketVersioning:BucketVersioning")[0]["versioningConfiguration"]["status"]
        == "Enabled"
    )
    assert "aws:SecureTransport" in of("aws:s3/bucketPolicy:BucketPolicy")[0]["policy"]
    assert len(of("aws:eks/cluster:Cluster")) == 1
    groups = of("aws:eks/nodeGroup:NodeGroup")
    assert any(
        g["capacityType"] == "SPOT" and g["amiType"] == "AL2023_x86_64_NVIDIA" for g in groups
    )
    roles = [
        json.loads(r["assumeRolePolicy"])["Statement"][0]["Principal"]["Service"]
        for r in of("aws:iam/role:Role")
    ]
    assert sorted(roles) == [
        "ec2.amazonaws.com",
        "eks.amazonaws.com",
        "pods.eks.amazonaws.com",  # the cluster autoscaler
        "pods.eks.amazonaws.com",  # the training pods
        "sagemaker.amazonaws.com",
        "vpc-flow-logs.amazonaws.com",
    ]
    assert of("aws:sagemaker/modelPackageGroup:ModelPackageGroup")
    assert of("aws:ecr/repository:Repository")
    assert doc["outputs"]["kubeconfig"] == "[secret]"


def test_physical_names_are_derived_from_platform_and_a_sanitised_stack(run_spec, base_config):
    run = run_spec(base_config("aws"), stack="Team_A.Prod")
    assert run.outputs["cluster_name"] == "mlp-aws-team-a-prod"
    assert run.outputs["model_package_group_name"] == "mlp-aws-team-a-prod-models"
    assert run.outputs["registry_url"].endswith("/mlp-aws-team-a-prod/training")
    assert run.one("aws:kms/alias:Alias").inputs["name"] == "alias/pioneer/mlp-aws-team-a-prod"
