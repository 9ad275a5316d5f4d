"""SageMaker execution role, model registry, ECR, and the optional Domain and MLflow server."""

from __future__ import annotations

import json

import pytest

from components.aws.iam_allowlist import REASONS, WILDCARD_RESOURCE_ACTIONS
from components.aws.iam_documents import wildcard_problems

ROLE_POLICY = "aws:iam/rolePolicy:RolePolicy"
OPTIONAL = {
    "aws:sagemaker/domain:Domain",
    "aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer",
}


def _sagemaker_role(run):
    return next(
        r
        for r in run.of_type("aws:iam/role:Role")
        if json.loads(r.inputs["assumeRolePolicy"])["Statement"][0]["Principal"]
        == {"Service": "sagemaker.amazonaws.com"}
    )


def _sagemaker_policy(run):
    role = _sagemaker_role(run)
    (policy,) = [p for p in run.of_type(ROLE_POLICY) if p.inputs["role"] == role.id]
    return json.loads(policy.inputs["policy"])


def _statement_actions(st):
    a = st["Action"]
    return [a] if isinstance(a, str) else a


def _statement_resources(st):
    r = st["Resource"]
    return [r] if isinstance(r, str) else r


def test_no_identity_policy_has_wildcard_actions_or_unlisted_wildcard_resources(
    run_spec, base_config
):
    cfg = base_config("aws")
    cfg["mlops"].update(sagemaker_domain=True, mlflow_server=True)
    run = run_spec(cfg)
    docs = [json.loads(p.inputs["policy"]) for p in run.of_type(ROLE_POLICY)]
    # EKS cluster role (key use), the SageMaker execution role, the training pods' role,
    # the VPC flow-log delivery role, the cluster autoscaler's role
    assert len(docs) == 5
    for doc in docs:
        for st in doc["Statement"]:
            assert st["Effect"] == "Allow"
            for action in _statement_actions(st):
                assert action != "*" and not action.endswith(":*"), action
            if "*" in _statement_resources(st):
                assert set(_statement_actions(st)) <= WILDCARD_RESOURCE_ACTIONS, st
        assert wildcard_problems(doc) == []
    assert not any(
        "FullAccess" in a.inputs["policyArn"]
        for a in run.of_type("aws:iam/rolePolicyAttachment:RolePolicyAttachment")
    )


def test_wildcard_checker_catches_what_the_tests_forbid():
    bad = {
        "Statement": [
            {"Effect": "Allow", "Action": "*", "Resource": "arn:aws:s3:::b"},
            {"Effect": "Allow", "Action": ["s3:GetObject"], "Resource": "*"},
            {"Effect": "Allow", "Action": "ecr:GetAuthorizationToken", "Resource": "*"},
            {"Effect": "Deny", "Action": "s3:*", "Resource": "*"},
        ]
    }
    assert wildcard_problems(bad) == [
        "Statement[0]: wildcard action '*'",
        "Statement[1]: 's3:GetObject' on Resource '*' is not allow-listed",
    ]
    assert set(REASONS) == WILDCARD_RESOURCE_ACTIONS and all(REASONS.values())


def test_sagemaker_role_is_scoped_to_the_platform_resources(run_spec, base_config):
    run = run_spec(base_config("aws"))
    doc = _sagemaker_policy(run)
    by_sid = {s["Sid"]: s for s in doc["Statement"]}
    bucket = run.by_name("mlp-aws-data-bucket").state["arn"]
    key = run.one("aws:kms/key:Key").state["arn"]
    repo = run.one("aws:ecr/repository:Repository").state["arn"]
    logs = run.by_name("mlp-aws-sagemaker-logs").state["arn"]
    assert by_sid["ListPlatformBucket"]["Resource"] == bucket
    assert by_sid["ReadWritePlatformObjects"]["Resource"] == f"{bucket}/*"
    assert by_sid["UsePlatformKey"]["Resource"] == key
    # The platform's repository and exactly the AWS Deep Learning Container repository the
    # SageMaker backend's default image comes from (AWS's DLC account in us-east-1).
    dlc = "arn:aws:ecr:us-east-1:763104351884:repository/pytorch-training"
    assert by_sid["PullTrainingImages"]["Resource"] == [repo, dlc]
    assert logs in by_sid["WriteLogs"]["Resource"]
    assert all(
        r.startswith("arn:aws:logs:us-east-1:123456789012:log-group:")
        for r in by_sid["WriteLogs"]["Resource"]
    )
    subnets = {
        s.id
        for s in run.of_type("aws:ec2/subnet:Subnet")
        if s.inputs["tags"]["pioneer.dev/tier"] == "private"
    }
    eni = by_sid["NetworkInterfacesInPlatformSubnets"]["Resource"]
    assert {r.rsplit("/", 1)[-1] for r in eni if ":subnet/" in r} == subnets
    group = run.one("aws:sagemaker/modelPackageGroup:ModelPackageGroup")
    assert (
        f"model-package-group/{group.inputs['modelPackageGroupName']}"
        in by_sid["RegisterModels"]["Resource"][0]
    )
    assert "TrackExperiments" not in by_sid  # no MLflow server in aws-dev


def test_model_registry_and_image_repository(run_spec, base_config):
    run = run_spec(base_config("aws"))
    group = run.one("aws:sagemaker/modelPackageGroup:ModelPackageGroup")
    assert group.inputs["modelPackageGroupName"] == "mlp-aws-test-models"
    repo = run.one("aws:ecr/repository:Repository")
    assert repo.inputs["imageTagMutability"] == "IMMUTABLE"
    assert repo.inputs["imageScanningConfiguration"] == {"scanOnPush": True}
    assert repo.inputs["encryptionConfigurations"] == [
        {"encryptionType": "KMS", "kmsKey": run.one("aws:kms/key:Key").state["arn"]}
    ]
    rules = json.loads(run.one("aws:ecr/lifecyclePolicy:LifecyclePolicy").inputs["policy"])["rules"]
    assert rules[0]["selection"]["tagStatus"] == "untagged"


@pytest.mark.parametrize(("domain", "mlflow"), [(True, False), (False, True), (True, True)])
def test_optional_parts_add_exactly_their_resources(run_spec, base_config, domain, mlflow):
    off = run_spec(base_config("aws"))
    cfg = base_config("aws")
    cfg["mlops"].update(sagemaker_domain=domain, mlflow_server=mlflow)
    on = run_spec(cfg)
    added = {(r.type, r.name) for r in on.resources} - {(r.type, r.name) for r in off.resources}
    removed = {(r.type, r.name) for r in off.resources} - {(r.type, r.name) for r in on.resources}
    expected = (
        {("aws:sagemaker/domain:Domain", "mlp-aws-sagemaker-domain")} if domain else set()
    ) | (
        {("aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer", "mlp-aws-sagemaker-mlflow")}
        if mlflow
        else set()
    )
    assert added == expected and removed == set()
    assert not {r.type for r in off.resources} & OPTIONAL
    assert (on.outputs["sagemaker_domain_id"] is not None) == domain
    assert (on.outputs["mlflow_tracking_server_arn"] is not None) == mlflow


def test_domain_is_vpc_only_in_private_subnets(run_spec, base_config):
    cfg = base_config("aws")
    cfg["mlops"]["sagemaker_domain"] = True
    run = run_spec(cfg)
    d = run.one("aws:sagemaker/domain:Domain")
    assert d.inputs["appNetworkAccessType"] == "VpcOnly"
    assert d.inputs["authMode"] == "IAM"
    assert d.inputs["vpcId"] == run.one("aws:ec2/vpc:Vpc").id
    assert set(d.inputs["subnetIds"]) == set(run.outputs["private_subnet_ids"])
    assert d.inputs["kmsKeyId"] == run.one("aws:kms/key:Key").state["arn"]
    assert d.inputs["defaultUserSettings"]["executionRole"] == _sagemaker_role(run).state["arn"]


def test_mlflow_server_stores_artifacts_in_the_bucket_and_role_may_reach_it(run_spec, base_config):
    cfg = base_config("aws")
    cfg["mlops"]["mlflow_server"] = True
    run = run_spec(cfg)
    server = run.one("aws:sagemaker/mlflowTrackingServer:MlflowTrackingServer")
    assert server.inputs["artifactStoreUri"] == f"s3://{run.outputs['bucket_name']}/mlflow"
    assert server.inputs["roleArn"] == _sagemaker_role(run).state["arn"]
    tracking = {s["Sid"]: s for s in _sagemaker_policy(run)["Statement"]}["TrackExperiments"]
    assert tracking["Resource"] == server.state["arn"]


def test_mlops_disabled_creates_no_sagemaker_resources(run_spec, base_config):
    cfg = base_config("aws")
    cfg["mlops"] = {"enabled": False}
    run = run_spec(cfg)
    assert not [r for r in run.resources if r.type.startswith("aws:sagemaker/")]
    assert not [r for r in run.resources if r.type == "pioneer:aws:SageMakerPlatform"]
    assert run.outputs["sagemaker_role_arn"] is None
    assert run.outputs["registry_url"]  # images are still needed for EKS training


def test_the_dlc_repository_is_the_one_the_sagemaker_backend_image_lives_in():
    from components.aws.images import PYTORCH_VERSION, dlc_repository_arn
    from training.backends import sagemaker

    assert sagemaker.PYTORCH_VERSION == PYTORCH_VERSION  # one version, one repository
    arn = dlc_repository_arn("aws", "eu-west-1")
    assert arn == "arn:aws:ecr:eu-west-1:763104351884:repository/pytorch-training"
    assert dlc_repository_arn("aws", "mars-north-1") is None
