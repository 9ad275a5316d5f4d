"""The pipeline as a SageMaker Pipelines definition, built with sagemaker-mlops' workflow classes.

ValidateData (ProcessingStep) → Train (TrainingStep: the same ModelTrainer as
`pioneer train --backend sagemaker`) → Evaluate (ProcessingStep writing
metrics.json as a PropertyFile) → Gate (ConditionStep on the metrics) →
RegisterModel (ModelStep: CreateModelPackage into the stack's Model Package
Group, status PendingManualApproval or Approved by the promotion rule), or
Fail with the gate's thresholds.
"""

from __future__ import annotations

import json
import os
import warnings
from collections.abc import Mapping
from typing import Any

from lifecycle.pipeline.compile import REMOTE_STEP
from lifecycle.pipeline.spec import PipelineSpec

PROCESSING = "/opt/ml/processing"


def _session(outputs: Mapping[str, Any]) -> Any:
    """A PipelineSession that records uploads instead of sending them (offline compile)."""
    from sagemaker.core.workflow.pipeline_context import PipelineSession

    from training.backends.sagemaker import _offline_boto_session

    bucket = outputs["bucket_name"]

    class OfflinePipelineSession(PipelineSession):  # type: ignore[misc]
        def default_bucket(self) -> str:
            return bucket

        def upload_data(
            self, path: str, bucket: str | None = None, key_prefix: str = "data", **kwargs: Any
        ) -> str:
            uri = f"s3://{bucket or self.default_bucket()}/{key_prefix}"
            return uri if os.path.isdir(path) else f"{uri}/{os.path.basename(path)}"

        def upload_string_as_file_body(
            self, body: str, bucket: str, key: str, kms_key: str | None = None
        ) -> str:
            return f"s3://{bucket}/{key}"

    return OfflinePipelineSession(
        boto_session=_offline_boto_session(outputs["region"]), default_bucket=bucket
    )


def build(spec: PipelineSpec, outputs: Mapping[str, Any]) -> Any:
    """The sagemaker.mlops Pipeline object (not yet serialised)."""
    os.environ.setdefault("AWS_DEFAULT_REGION", outputs["region"])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        from sagemaker.core.processing import ProcessingInput, ProcessingOutput, ScriptProcessor
        from sagemaker.core.shapes import ProcessingS3Input, ProcessingS3Output
        from sagemaker.core.workflow.conditions import (
            ConditionGreaterThanOrEqualTo,
            ConditionLessThanOrEqualTo,
        )
        from sagemaker.core.workflow.functions import JsonGet
        from sagemaker.core.workflow.properties import PropertyFile
        from sagemaker.mlops.workflow import (
            ConditionStep,
            FailStep,
            ModelStep,
            Pipeline,
            ProcessingStep,
            TrainingStep,
        )
        from sagemaker.serve import ModelBuilder

        from training.backends import sagemaker as sm_backend

    session = _session(outputs)
    bucket = f"s3://{outputs['bucket_name']}"
    job = spec.training.job()
    region = outputs["region"]
    instance = "ml.m5.xlarge"  # validation and evaluation are CPU work
    image = sm_backend.training_image(job, region, sm_backend.ml_instance_type(job, region))
    src = f"{bucket}/code/pipelines/{spec.name}/source"
    spec_uri = f"{bucket}/code/pipelines/{spec.name}/pipeline.yaml"
    data_uri = f"{bucket}/{spec.schedule.data_prefix.rstrip('/')}/{spec.name}/"

    def s3_in(name: str, uri: str, dest: str) -> Any:
        return ProcessingInput(
            input_name=name,
            s3_input=ProcessingS3Input(
                s3_uri=uri, local_path=dest, s3_data_type="S3Prefix", s3_input_mode="File"
            ),
        )

    def s3_out(name: str, uri: str, src_dir: str) -> Any:
        return ProcessingOutput(
            output_name=name,
            s3_output=ProcessingS3Output(s3_uri=uri, local_path=src_dir, s3_upload_mode="EndOfJob"),
        )

    processor = ScriptProcessor(
        role=outputs["sagemaker_role_arn"],
        image_uri=image,
        command=["python3"],
        instance_type=instance,
        instance_count=1,
        sagemaker_session=session,
        output_kms_key=outputs.get("kms_key_arn"),
        base_job_name=f"{spec.name}-step",
        env={"PYTHONPATH": f"{PROCESSING}/source"},
    )
    common_in = [
        s3_in("source", src, f"{PROCESSING}/source"),
        s3_in("spec", spec_uri, f"{PROCESSING}/spec"),
    ]
    validate = ProcessingStep(
        name="ValidateData",
        step_args=processor.run(
            code=REMOTE_STEP,
            inputs=[*common_in, s3_in("data", data_uri, f"{PROCESSING}/data")],
            outputs=[
                s3_out(
                    "report", f"{bucket}/pipelines/{spec.name}/validation", f"{PROCESSING}/report"
                )
            ],
            arguments=[
                "validate",
                "--spec",
                f"{PROCESSING}/spec/pipeline.yaml",
                "--data",
                f"{PROCESSING}/data",
                "--out",
                f"{PROCESSING}/report",
            ],
        ),
    )
    trainer = sm_backend._trainer(job, outputs, session)
    train = TrainingStep(name="Train", step_args=trainer.train(), depends_on=[validate])
    report = PropertyFile(name="EvaluationReport", output_name="metrics", path="metrics.json")
    ckpt = sm_backend.common.checkpoint_uri(job, bucket)
    evaluate = ProcessingStep(
        name="Evaluate",
        step_args=processor.run(
            code=REMOTE_STEP,
            inputs=[*common_in, s3_in("checkpoints", ckpt, f"{PROCESSING}/checkpoints")],
            outputs=[
                s3_out(
                    "metrics", f"{bucket}/pipelines/{spec.name}/evaluation", f"{PROCESSING}/metrics"
                )
            ],
            arguments=[
                "evaluate",
                "--spec",
                f"{PROCESSING}/spec/pipeline.yaml",
                "--checkpoints",
                f"{PROCESSING}/checkpoints",
                "--out",
                f"{PROCESSING}/metrics",
            ],
        ),
        property_files=[report],
        depends_on=[train],
    )

    def metric(name: str) -> Any:
        return JsonGet(step_name=evaluate.name, property_file=report, json_path=name)

    conditions = [
        ConditionGreaterThanOrEqualTo(left=metric(m), right=v) for m, v in spec.gates.min.items()
    ]
    conditions += [
        ConditionLessThanOrEqualTo(left=metric(m), right=v) for m, v in spec.gates.max.items()
    ]
    builder = ModelBuilder(
        s3_model_data_url=train.properties.ModelArtifacts.S3ModelArtifacts,
        image_uri=image,
        role_arn=outputs["sagemaker_role_arn"],
        sagemaker_session=session,
    )
    register = ModelStep(
        name="RegisterModel",
        step_args=builder.register(
            model_package_group_name=outputs["model_package_group_name"],
            content_types=["application/json"],
            response_types=["application/json"],
            inference_instances=["ml.m5.large"],
            approval_status=(
                "Approved" if spec.promotion == "automatic" else "PendingManualApproval"
            ),
            description=f"{spec.registry.model} from pipeline {spec.name}",
            customer_metadata_properties={
                "pioneer.pipeline": spec.name,
                "pioneer.dataset_version": spec.dataset.version,
            },
        ),
    )
    gate = ConditionStep(
        name="Gate",
        conditions=conditions,
        if_steps=[register],
        else_steps=[
            FailStep(
                name="GateFailed",
                error_message=(
                    "gate failed: "
                    + "; ".join(
                        [f"{m} >= {v}" for m, v in spec.gates.min.items()]
                        + [f"{m} <= {v}" for m, v in spec.gates.max.items()]
                    )
                ),
            )
        ],
        depends_on=[evaluate],
    )
    return Pipeline(
        name=f"{outputs.get('name_prefix', 'pioneer')}-{spec.name}"[:256],
        steps=[validate, train, evaluate, gate],
        sagemaker_session=session,
    )


def compile_definition(spec: PipelineSpec, spec_text: str, outputs: Mapping[str, Any]) -> dict:
    from training.backends.sagemaker import exec_sm_train

    pipeline = build(spec, outputs)
    definition = json.loads(pipeline.definition())
    for step in definition["Steps"]:
        if step["Type"] == "Training":  # PID 1 execs the job's command, as `pioneer train` sends
            exec_sm_train(step["Arguments"]["AlgorithmSpecification"])
    return {
        "target": "sagemaker",
        "format": "SageMaker Pipelines definition (JSON, version 2020-12-01)",
        "name": pipeline.name,
        "definition": definition,
        "steps": [s["Name"] for s in definition["Steps"]],
    }
