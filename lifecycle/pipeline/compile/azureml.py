"""The pipeline as an Azure ML pipeline job, built with azure-ai-ml's `dsl.pipeline`.

validate_data → train (the same `command()` as `pioneer train --backend azureml`)
→ evaluate → gate (exits non-zero when a threshold fails, so the job stops) →
register (MLflow model version in the workspace registry). The REST body is
what `MLClient.jobs.create_or_update` would send.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lifecycle.pipeline.compile import REMOTE_STEP
from lifecycle.pipeline.spec import PipelineSpec

CPU_ENVIRONMENT = (
    "azureml://registries/azureml/environments/acpt-pytorch-2.2-cuda12.1/labels/latest"
)


def build(spec: PipelineSpec, outputs: Mapping[str, Any]) -> Any:
    import dataclasses

    from azure.ai.ml import Input, Output, command, dsl

    from training.backends import azureml as aml

    job = spec.training.job()
    if job.pool is None:  # no pool named: serverless compute sized by the accelerator
        job = dataclasses.replace(job, pool=aml.SERVERLESS)
    train_cmd = aml.build_job(
        job, outputs, f"{spec.name}-train", inputs={"validated": Input(type="uri_folder")}
    )
    compute = train_cmd.compute
    spec_in = {"spec": Input(type="uri_file")}

    def step(name: str, args: str, inputs: dict[str, Any], outs: dict[str, Any]) -> Any:
        return command(
            name=name,
            display_name=name,
            code=".",
            command=f"python {REMOTE_STEP} {args}",
            environment=CPU_ENVIRONMENT,
            inputs={**spec_in, **inputs},
            outputs=outs,
            compute=compute,
            instance_type=None if compute else "Standard_D4s_v3",
        )

    validate = step(
        "validate_data",
        "validate --spec ${{inputs.spec}} --data ${{inputs.data}} --out ${{outputs.report}}",
        {"data": Input(type="uri_file")},
        {"report": Output(type="uri_folder")},
    )
    evaluate = step(
        "evaluate",
        "evaluate --spec ${{inputs.spec}} --checkpoints ${{inputs.checkpoints}} "
        "--out ${{outputs.metrics}}",
        {"checkpoints": Input(type="uri_folder")},
        {"metrics": Output(type="uri_folder")},
    )
    gate = step(
        "gate",
        "gate --spec ${{inputs.spec}} --metrics ${{inputs.metrics}} --out ${{outputs.decision}}",
        {"metrics": Input(type="uri_folder")},
        {"decision": Output(type="uri_folder")},
    )
    register = step(
        "register",
        "register --spec ${{inputs.spec}} --checkpoints ${{inputs.checkpoints}} "
        "--metrics ${{inputs.metrics}}",
        {
            "checkpoints": Input(type="uri_folder"),
            "metrics": Input(type="uri_folder"),
            "decision": Input(type="uri_folder"),
        },
        {},
    )
    data_path = aml.datastore_uri(
        outputs, f"{spec.schedule.data_prefix.rstrip('/')}/{spec.name}/data.csv"
    )
    spec_path = aml.datastore_uri(outputs, f"code/pipelines/{spec.name}/pipeline.yaml")

    @dsl.pipeline(
        name=spec.name,
        description=f"pioneer pipeline {spec.name}",
        default_compute=compute or "serverless",
        experiment_name=f"pipeline-{spec.name}",
    )
    def pipeline(spec_file, data):  # type: ignore[no-untyped-def]  # dsl reads the names
        validate_data = validate(spec=spec_file, data=data)
        # Train waits for validation: the report is one of its inputs (unused by the script).
        train = train_cmd(validated=validate_data.outputs.report)
        evaluation = evaluate(spec=spec_file, checkpoints=train.outputs.checkpoints)
        gate_decision = gate(spec=spec_file, metrics=evaluation.outputs.metrics)
        register(
            spec=spec_file,
            checkpoints=train.outputs.checkpoints,
            metrics=evaluation.outputs.metrics,
            decision=gate_decision.outputs.decision,
        )

    built = pipeline(
        spec_file=Input(type="uri_file", path=spec_path),
        data=Input(type="uri_file", path=data_path),
    )
    return built


def compile_job(spec: PipelineSpec, spec_text: str, outputs: Mapping[str, Any]) -> dict:
    job = build(spec, outputs)
    body = job._to_rest_object().as_dict()
    return {
        "target": "azureml",
        "format": "Azure ML pipeline job (REST JobBase, PipelineJob)",
        "name": spec.name,
        "definition": body,
        "steps": list(body["properties"]["jobs"]),
    }
