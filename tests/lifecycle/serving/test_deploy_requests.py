"""Each target's deploy request, built and checked by that service's own SDK objects."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import boto3
import pytest
from moto import mock_aws

from lifecycle.serving import requests
from lifecycle.serving.requests import DeployError, Deployment, build
from lifecycle.serving.spec import ServingSpec

OUTPUTS = json.loads((Path(__file__).with_name("stack_outputs.json")).read_text())
SPEC = ServingSpec.parse({"enabled": True, "autoscaling": {"min_replicas": 1, "max_replicas": 3}})


def deployment(stack: str, weights=None, spec: ServingSpec = SPEC, **changes) -> Deployment:
    outputs = {**copy.deepcopy(OUTPUTS[stack]), **changes}
    return Deployment(spec, "pioneer-digits", weights or {1: 90, 2: 10}, stack, outputs)


def test_sagemaker_canary_has_weighted_variants_encrypted_capture_and_private_models():
    doc = build("sagemaker", deployment("aws-dev"))
    calls = {c["operation"]: c["params"] for c in doc["calls"]}
    config = calls["create_endpoint_config"]
    kms = OUTPUTS["aws-dev"]["kms_key_arn"]
    assert [
        (v["VariantName"], v["InitialVariantWeight"]) for v in config["ProductionVariants"]
    ] == [
        ("version-1", 90.0),
        ("version-2", 10.0),
    ]
    assert config["KmsKeyId"] == kms and config["DataCaptureConfig"]["KmsKeyId"] == kms
    assert config["DataCaptureConfig"]["DestinationS3Uri"].startswith(
        f"s3://{OUTPUTS['aws-dev']['bucket_name']}/"
    )
    model = next(c["params"] for c in doc["calls"] if c["operation"] == "create_model")
    assert model["VpcConfig"]["Subnets"] == OUTPUTS["aws-dev"]["private_subnet_ids"]
    assert model["EnableNetworkIsolation"] is True
    policy = calls["put_scaling_policy"]["TargetTrackingScalingPolicyConfiguration"]
    assert policy["TargetValue"] == SPEC.autoscaling.target_value * 60  # per minute per instance


def test_botocore_validation_rejects_a_bad_sagemaker_request():
    calls = requests.sagemaker_calls(deployment("aws-dev"))
    service, op, params = calls[0]
    del params["ModelName"]  # required by CreateModel
    with pytest.raises(DeployError, match="ModelName"):
        requests._validate_boto("us-east-1", [(service, op, params)])


@mock_aws
def test_the_sagemaker_requests_are_accepted_by_the_api_under_moto():
    # moto's instance-type list predates m6i (SageMaker hosts ml.m6i.*): use one it knows.
    spec = ServingSpec.parse(
        {
            "enabled": True,
            "instance_types": {"aws": "m5.xlarge"},
            "autoscaling": {"min_replicas": 1, "max_replicas": 3},
        }
    )
    d = deployment("aws-dev", spec=spec)
    session = boto3.Session(region_name="us-east-1")
    sent = requests.send_sagemaker(d, session)
    assert sent[-1] == "application-autoscaling:put_scaling_policy"
    sm = session.client("sagemaker")
    cfg = sm.describe_endpoint_config(
        EndpointConfigName=sm.describe_endpoint(EndpointName=d.endpoint)["EndpointConfigName"]
    )
    assert cfg["DataCaptureConfig"]["KmsKeyId"] == OUTPUTS["aws-dev"]["kms_key_arn"]
    targets = session.client("application-autoscaling").describe_scalable_targets(
        ServiceNamespace="sagemaker"
    )["ScalableTargets"]
    assert {(t["MinCapacity"], t["MaxCapacity"]) for t in targets} == {(1, 3)}


def test_vertex_endpoint_is_cmek_encrypted_in_the_stack_network_with_the_replica_range():
    doc = build("vertex", deployment("gcp-dev"))
    create = doc["calls"][0]["request"]
    assert create["endpoint"]["encryption_spec"]["kms_key_name"] == OUTPUTS["gcp-dev"]["kms_key_id"]
    assert create["endpoint"]["network"].startswith("projects/pioneer-ml-dev/global/networks/")
    assert create["endpoint"]["predict_request_response_logging_config"]["enabled"] is True
    deploys = [c["request"] for c in doc["calls"][1:]]
    res = deploys[0]["deployed_model"]["dedicated_resources"]
    assert (res["min_replica_count"], res["max_replica_count"]) == (1, 3)
    assert [d["traffic_split"]["0"] for d in deploys] == [90, 10]


def test_vertex_protos_reject_a_field_they_do_not_have():
    from google.cloud.aiplatform_v1 import types as v1

    with pytest.raises(ValueError):
        v1.DedicatedResources(min_replicas=1)  # the proto's field is min_replica_count


def test_azureml_endpoint_is_private_with_managed_identity_and_blue_green_traffic():
    doc = build("azureml", deployment("azure-dev"))
    endpoint = doc["calls"][0]["body"]
    assert endpoint["properties"]["publicNetworkAccess"] == "disabled"
    assert endpoint["properties"]["traffic"] == {"version-1": 90, "version-2": 10}
    assert endpoint["identity"]["type"] == "UserAssigned"
    dep = doc["calls"][1]["body"]["properties"]
    assert dep["egressPublicNetworkAccess"] == "disabled"
    assert dep["dataCollector"]["collections"]["model_inputs"]["dataCollectionMode"] == "enabled"


def test_azureml_sdk_validation_errors_become_a_deploy_error():
    spec = ServingSpec.parse({"enabled": True, "name": "a" * 32})
    with pytest.raises(DeployError, match="azure-ai-ml"):
        build("azureml", deployment("azure-dev", spec=spec))  # endpoint name over 32 characters


@pytest.mark.parametrize("stack", ["aws-dev", "gcp-dev", "azure-dev"])
def test_kserve_manifest_validates_and_carries_the_canary(stack):
    doc = build("kubernetes", deployment(stack))
    predictor = doc["calls"][0]["manifest"]["spec"]["predictor"]
    assert predictor["canaryTrafficPercent"] == 10
    assert predictor["minReplicas"] == 1 and predictor["maxReplicas"] == 3
    assert doc["price"]["monthly_usd_max"] == pytest.approx(
        3 * doc["price"]["monthly_usd_min"], abs=0.02
    )


def test_kserve_schema_rejects_an_unknown_predictor_field(monkeypatch):
    spec = ServingSpec.parse({"enabled": True, "autoscaling": {"target": "latency_ms"}})
    real = json.loads(requests.KSERVE_SCHEMA.read_text())
    real["properties"]["spec"]["properties"]["predictor"]["properties"]["scaleMetric"]["enum"] = [
        "cpu"
    ]
    tmp = Path(__file__).parent / "_schema.json"
    monkeypatch.setattr(requests, "KSERVE_SCHEMA", tmp)
    tmp.write_text(json.dumps(real))
    try:
        with pytest.raises(DeployError, match="scaleMetric"):
            build("kubernetes", deployment("aws-dev", spec=spec))
    finally:
        tmp.unlink()


def test_weights_must_sum_to_100():
    with pytest.raises(DeployError, match="sum to 100"):
        build("local", deployment("aws-dev", weights={1: 90, 2: 20}))


def test_a_stack_of_the_wrong_cloud_is_a_clear_error():
    with pytest.raises(DeployError, match="lack kms_key_arn"):
        build("sagemaker", deployment("gcp-dev"))
