"""One pipeline spec compiled with each cloud's own SDK, validated by that SDK, and submitted."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from lifecycle.pipeline.compile import CompileError, azureml, compile_pipeline
from lifecycle.pipeline.spec import PipelineSpec
from stacks.cli import app
from stacks.plan import plan_outputs
from training.outputs import load_stack_outputs

SPEC_FILE = Path(__file__).resolve().parents[2] / "pipelines" / "digits.yaml"


@pytest.fixture(scope="module")
def spec() -> PipelineSpec:
    return PipelineSpec.load(SPEC_FILE)


@pytest.fixture(scope="module")
def aws_outputs():
    return load_stack_outputs("aws-dev", None, dry_run=True, plan_outputs=plan_outputs)


@pytest.fixture(scope="module")
def sagemaker_def(spec, aws_outputs):
    return compile_pipeline(spec, SPEC_FILE.read_text(), "sagemaker", aws_outputs)


def test_sagemaker_definition_gates_then_registers_into_the_stacks_group(
    sagemaker_def, aws_outputs
):
    d = sagemaker_def["definition"]
    assert d["Version"] == "2020-12-01"
    steps = {s["Name"]: s for s in d["Steps"]}
    assert [steps[n]["Type"] for n in ("ValidateData", "Train", "Evaluate", "Gate")] == [
        "Processing",
        "Training",
        "Processing",
        "Condition",
    ]
    gate = steps["Gate"]["Arguments"]
    paths = {
        c["LeftValue"]["Std:JsonGet"]["Path"]: (c["Type"], c["RightValue"])
        for c in gate["Conditions"]
    }
    assert paths == {
        "accuracy": ("GreaterThanOrEqualTo", 0.9),
        "macro_recall": ("GreaterThanOrEqualTo", 0.9),
        "latency_ms_p95": ("LessThanOrEqualTo", 20.0),
    }
    (register,) = gate["IfSteps"]
    assert register["Type"] == "RegisterModel"
    assert register["Arguments"]["ModelPackageGroupName"] == aws_outputs["model_package_group_name"]
    assert register["Arguments"]["ModelApprovalStatus"] == "Approved"  # promotion: automatic
    assert [s["Type"] for s in gate["ElseSteps"]] == ["Fail"]
    assert steps["Train"]["DependsOn"] == ["ValidateData"]
    # the training step is the same request as `pioneer train --backend sagemaker`
    assert steps["Train"]["Arguments"]["EnableManagedSpotTraining"] is True
    args = steps["Train"]["Arguments"]["AlgorithmSpecification"]["ContainerArguments"]
    assert args[1].endswith("&& exec /opt/ml/input/data/sm_drivers/sm_train.sh")


def test_sagemaker_definition_is_accepted_by_the_service_api(
    sagemaker_def, aws_outputs, monkeypatch
):
    import boto3
    from moto import mock_aws

    from lifecycle.pipeline.compile.submit import submit

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "testing")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "testing")
    with mock_aws():
        first = submit(sagemaker_def, aws_outputs)
        again = submit(sagemaker_def, aws_outputs)
        got = boto3.client("sagemaker", region_name=aws_outputs["region"]).describe_pipeline(
            PipelineName=sagemaker_def["name"]
        )
    assert (first["action"], again["action"]) == ("created", "updated")
    assert json.loads(got["PipelineDefinition"]) == sagemaker_def["definition"]


def test_azureml_pipeline_job_passes_the_sdks_validation(spec):
    outputs = load_stack_outputs("azure-dev", None, dry_run=True, plan_outputs=plan_outputs)
    job = azureml.build(spec, outputs)
    result = job._validate()
    assert result.passed, result.error_messages
    body = azureml.compile_job(spec, "", outputs)["definition"]
    jobs = body["properties"]["jobs"]
    assert list(jobs) == ["validate_data", "train", "evaluation", "gate_decision", "register"]
    assert "validate_data" in jobs["train"]["inputs"]["validated"]["value"]
    assert "gate_decision" in jobs["register"]["inputs"]["decision"]["value"]
    assert "remote_step.py gate" in job.jobs["gate_decision"].command


def test_a_target_for_another_cloud_or_without_an_sdk_is_a_clear_error(spec, aws_outputs):
    with pytest.raises(CompileError, match="runs on azure, but the stack is on aws"):
        compile_pipeline(spec, "", "azureml", aws_outputs)
    out = CliRunner().invoke(
        app, ["pipeline", "compile", str(SPEC_FILE), "--target", "vertex", "--stack", "gcp-dev"]
    )
    assert out.exit_code == 2 and "kubernetes<31" in out.output


def test_compile_cli_emits_one_json_document(tmp_path):
    out = CliRunner().invoke(
        app,
        [
            "pipeline",
            "compile",
            str(SPEC_FILE),
            "--target",
            "sagemaker",
            "--stack",
            "aws-dev",
            "--json",
            "--out",
            str(tmp_path / "def.json"),
        ],
    )
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["steps"] == ["ValidateData", "Train", "Evaluate", "Gate"]
    assert json.loads((tmp_path / "def.json").read_text()) == doc["definition"]
