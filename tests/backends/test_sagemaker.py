"""SageMaker backend: the request built by ModelTrainer, and a submission against moto."""

from __future__ import annotations

import dataclasses

import boto3
import pytest
from botocore.stub import Stubber
from moto import mock_aws

from training.backends import sagemaker
from training.backends.common import BackendError


@pytest.fixture
def fake_aws(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "us-east-1")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")


def test_dry_run_is_a_managed_spot_request_in_the_platform_bucket(job, aws_outputs):
    doc = sagemaker.dry_run(job, aws_outputs)
    req = doc["request"]
    bucket = aws_outputs["bucket_name"]
    assert req["EnableManagedSpotTraining"] is True
    assert req["ResourceConfig"]["InstanceType"] == "ml.p4de.24xlarge"  # 8x A100-80GB
    assert req["ResourceConfig"]["InstanceCount"] == 2
    assert req["StoppingCondition"] == {
        "MaxRuntimeInSeconds": 6 * 3600,
        "MaxWaitTimeInSeconds": 12 * 3600,
    }
    assert req["CheckpointConfig"] == {
        "S3Uri": f"s3://{bucket}/checkpoints/digits/",
        "LocalPath": "/opt/ml/checkpoints",
    }
    assert req["OutputDataConfig"]["S3OutputPath"] == f"s3://{bucket}/outputs/digits"
    assert req["OutputDataConfig"]["KmsKeyId"] == aws_outputs["kms_key_arn"]
    assert req["RoleArn"] == aws_outputs["sagemaker_role_arn"]
    assert req["VpcConfig"] == {
        "SecurityGroupIds": ["sg-0ccc"],
        "Subnets": ["subnet-0aaa", "subnet-0bbb"],
    }
    assert req["RetryStrategy"]["MaximumRetryAttempts"] >= 1
    image = req["AlgorithmSpecification"]["TrainingImage"]
    assert image.startswith("763104351884.dkr.ecr.us-east-1.amazonaws.com/pytorch-training:")
    assert "-gpu-" in image
    # PID 1's shell execs sm_train.sh, which execs the job's command (tests/backends/
    # test_sagemaker_container.py runs that chain under a real SIGTERM).
    assert req["AlgorithmSpecification"]["ContainerArguments"] == [
        "-c",
        "chmod +x /opt/ml/input/data/sm_drivers/sm_train.sh "
        "&& exec /opt/ml/input/data/sm_drivers/sm_train.sh",
    ]
    assert not req.get("HyperParameters")  # the script's flags are the command's arguments
    code = {
        c["ChannelName"]: c["DataSource"]["S3DataSource"]["S3Uri"] for c in req["InputDataConfig"]
    }
    assert code["code"].startswith(f"s3://{bucket}/code/digits/")
    # What the container runs comes from the driver files uploaded next to the code.
    source, drivers = doc["uploads"]
    assert source["to"] == code["code"] and source["files"] == 2  # no __pycache__
    assert drivers["to"] == code["sm_drivers"]
    source_code = drivers["sourcecode.json"]
    assert source_code["requirements"] == "training/requirements.txt"
    # Two nodes of 8 GPUs: the forwarder in front of torchrun, ranks from the SDK's environment.
    assert source_code["command"] == (
        'exec "$SM_PYTHON_CMD" -m training.forward_signals torchrun --nnodes=2 '
        '--nproc_per_node=8 --node_rank="$SM_CURRENT_HOST_RANK" '
        '--master_addr="$SM_MASTER_ADDR" --master_port="$SM_MASTER_PORT" training/train.py'
    )
    assert source_code["args"] == [
        "--model",
        "digits",
        "--max-steps",
        "50",
        "--ckpt-dir",
        "/opt/ml/checkpoints",
        "--output-dir",
        "/opt/ml/model",
    ]


def test_one_node_uses_the_standalone_rendezvous_and_switches_pass(job, aws_outputs):
    one = dataclasses.replace(job, nodes=1, args=("--model", "digits", "--no-energy"))
    source_code = sagemaker.dry_run(one, aws_outputs)["uploads"][1]["sourcecode.json"]
    assert "--nnodes=1 --nproc_per_node=8 --standalone training/train.py" in source_code["command"]
    assert source_code["args"][:3] == ["--model", "digits", "--no-energy"]


def test_the_stacks_managed_mlflow_is_the_jobs_tracking_store(job, aws_outputs):
    arn = "arn:aws:sagemaker:us-east-1:123456789012:mlflow-tracking-server/mlp-aws-dev-mlflow"
    req = sagemaker.dry_run(job, {**aws_outputs, "mlflow_tracking_server_arn": arn})["request"]
    assert req["Environment"]["MLFLOW_TRACKING_URI"] == arn
    # Without one, no tracking URI: the local store lives with the checkpoints (training.dirs).
    req = sagemaker.dry_run(job, {**aws_outputs, "mlflow_tracking_server_arn": None})["request"]
    assert "MLFLOW_TRACKING_URI" not in req.get("Environment", {})
    # The job's own environment wins.
    mine = dataclasses.replace(job, environment={"MLFLOW_TRACKING_URI": "http://mlflow:5000"})
    req = sagemaker.dry_run(mine, {**aws_outputs, "mlflow_tracking_server_arn": arn})["request"]
    assert req["Environment"]["MLFLOW_TRACKING_URI"] == "http://mlflow:5000"


def test_on_demand_job_has_no_spot_and_no_wait(job, aws_outputs):
    req = sagemaker.dry_run(dataclasses.replace(job, capacity="on_demand"), aws_outputs)["request"]
    assert req["EnableManagedSpotTraining"] is False
    assert "MaxWaitTimeInSeconds" not in req["StoppingCondition"]


def test_region_picks_the_regional_image_and_catalog_type(job, aws_outputs):
    outputs = {**aws_outputs, "region": "eu-west-1"}
    small = dataclasses.replace(job, accelerator="A10G", accelerators_per_node=1, nodes=1)
    req = sagemaker.dry_run(small, outputs)["request"]
    assert req["ResourceConfig"]["InstanceType"] == "ml.g5.xlarge"
    assert (
        ".dkr.ecr.eu-west-1.amazonaws.com/pytorch-training:"
        in (req["AlgorithmSpecification"]["TrainingImage"])
    )


def test_missing_outputs_are_named(job, aws_outputs):
    del aws_outputs["sagemaker_role_arn"]
    aws_outputs["kms_key_arn"] = ""
    with pytest.raises(BackendError, match="lack kms_key_arn, sagemaker_role_arn"):
        sagemaker.dry_run(job, aws_outputs)


def test_unavailable_accelerator_count_names_what_exists(job, aws_outputs):
    with pytest.raises(BackendError, match=r"accelerator: .*3xA100-80GB"):
        sagemaker.dry_run(dataclasses.replace(job, accelerators_per_node=3), aws_outputs)


def test_spot_wait_shorter_than_run_is_rejected(job, aws_outputs):
    with pytest.raises(BackendError, match="max_wait_hours: 1 must be >= max_run_hours"):
        sagemaker.dry_run(dataclasses.replace(job, max_wait_hours=1), aws_outputs)


def test_missing_credentials_fail_before_upload(job, aws_outputs, monkeypatch):
    for var in (
        "AWS_ACCESS_KEY_ID",
        "AWS_SECRET_ACCESS_KEY",
        "AWS_SESSION_TOKEN",
        "AWS_PROFILE",
        "AWS_CONTAINER_CREDENTIALS_FULL_URI",
        "AWS_CONTAINER_CREDENTIALS_RELATIVE_URI",
        "AWS_WEB_IDENTITY_TOKEN_FILE",
    ):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("AWS_SHARED_CREDENTIALS_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_CONFIG_FILE", "/nonexistent")
    monkeypatch.setenv("AWS_EC2_METADATA_DISABLED", "true")
    with pytest.raises(BackendError, match="no AWS credentials"):
        sagemaker.submit(job, aws_outputs)


@mock_aws
def test_submit_creates_the_job_and_uploads_the_code(job, aws_outputs, fake_aws):
    bucket = aws_outputs["bucket_name"]
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)

    handle = sagemaker.submit(job, aws_outputs)

    d = boto3.client("sagemaker", region_name="us-east-1").describe_training_job(
        TrainingJobName=handle.name
    )
    assert d["EnableManagedSpotTraining"] is True
    assert d["StoppingCondition"]["MaxWaitTimeInSeconds"] == 12 * 3600
    assert d["CheckpointConfig"]["S3Uri"] == f"s3://{bucket}/checkpoints/digits/"
    assert d["RoleArn"] == aws_outputs["sagemaker_role_arn"]
    assert d["ResourceConfig"]["InstanceType"] == "ml.p4de.24xlarge"
    assert d["ResourceConfig"]["InstanceCount"] == 2
    assert handle.status().split()[0] in ("InProgress", "Completed")

    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=bucket)["Contents"]]
    code_prefix = f"code/digits/{handle.name}/input/code/"
    assert f"{code_prefix}training/train.py" in keys
    assert f"{code_prefix}training/requirements.txt" in keys
    assert not [k for k in keys if k.startswith(code_prefix) and "__pycache__" in k]
    driver = [k for k in keys if k.endswith("sm_drivers/sm_train.sh")]
    assert driver, keys
    body = s3.get_object(Bucket=bucket, Key=f"{code_prefix}training/train.py")["Body"].read()
    assert body == b"print('training')\n"


def test_handle_cancel_and_wait_call_the_service(aws_outputs, fake_aws):
    """moto has no StopTrainingJob, so the handle is checked on a stubbed client."""
    client = boto3.client("sagemaker", region_name="us-east-1")
    stub = Stubber(client)
    stub.add_response("stop_training_job", {}, {"TrainingJobName": "digits-1"})
    for status in ("Stopping", "Stopped"):
        stub.add_response(
            "describe_training_job", _describe("digits-1", status), {"TrainingJobName": "digits-1"}
        )
    session = type("S", (), {"client": lambda self, *a, **k: client})()
    handle = sagemaker.SageMakerJob("digits-1", "us-east-1", session, request={})
    with stub:
        handle.cancel()
        assert handle.wait(poll_seconds=0) == "Stopped"
    stub.assert_no_pending_responses()


def _describe(name: str, status: str) -> dict:
    from datetime import datetime

    return {
        "TrainingJobName": name,
        "TrainingJobArn": f"arn:aws:sagemaker:us-east-1:1:job/{name}",
        "ModelArtifacts": {"S3ModelArtifacts": "s3://b/m"},
        "TrainingJobStatus": status,
        "SecondaryStatus": status,
        "AlgorithmSpecification": {"TrainingInputMode": "File"},
        "ResourceConfig": {"InstanceCount": 1, "VolumeSizeInGB": 30},
        "StoppingCondition": {},
        "CreationTime": datetime(2026, 1, 1),
    }


@mock_aws
def test_checkpoint_prefix_does_not_reach_a_job_whose_name_extends_this_one(
    job, aws_outputs, fake_aws
):
    # SageMaker restores every object under CheckpointConfig.S3Uri onto the instance.
    bucket = aws_outputs["bucket_name"]
    s3 = boto3.client("s3", region_name="us-east-1")
    s3.create_bucket(Bucket=bucket)
    for key in ("checkpoints/digits/step-00000050.json", "checkpoints/digits-2/step-00000900.json"):
        s3.put_object(Bucket=bucket, Key=key, Body=b"{}")
    uri = sagemaker.dry_run(job, aws_outputs)["request"]["CheckpointConfig"]["S3Uri"]
    prefix = uri.removeprefix(f"s3://{bucket}/")
    listed = s3.list_objects_v2(Bucket=bucket, Prefix=prefix)["Contents"]
    assert [o["Key"] for o in listed] == ["checkpoints/digits/step-00000050.json"]
