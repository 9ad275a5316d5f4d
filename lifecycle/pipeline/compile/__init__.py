"""One pipeline spec compiled into each cloud's own pipeline engine, with that engine's SDK.

    compile(spec, target, outputs) -> {"target", "format", "definition", "steps"}

`sagemaker`: a SageMaker Pipelines definition (sagemaker-mlops classes);
`azureml`: an Azure ML pipeline job (`azure.ai.ml.dsl.pipeline`). Vertex AI
needs the kfp SDK, which cannot be installed beside this project's kubernetes
client pin (kfp requires kubernetes<31), so `vertex` reports that clearly.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from lifecycle.pipeline.spec import PipelineSpec

TARGETS = ("sagemaker", "vertex", "azureml")
TARGET_CLOUD = {"sagemaker": "aws", "vertex": "gcp", "azureml": "azure"}
REMOTE_STEP = "lifecycle/pipeline/remote_step.py"


class CompileError(ValueError):
    pass


def compile_pipeline(
    spec: PipelineSpec, spec_text: str, target: str, outputs: Mapping[str, Any]
) -> dict[str, Any]:
    if target not in TARGETS:
        raise CompileError(f"--target: {target!r} is not one of {', '.join(TARGETS)}")
    cloud = outputs.get("cloud")
    if cloud and cloud != TARGET_CLOUD[target]:
        raise CompileError(
            f"--target {target} runs on {TARGET_CLOUD[target]}, but the stack is on {cloud}"
        )
    if target == "sagemaker":
        from lifecycle.pipeline.compile import sagemaker

        return sagemaker.compile_definition(spec, spec_text, outputs)
    if target == "azureml":
        from lifecycle.pipeline.compile import azureml

        return azureml.compile_job(spec, spec_text, outputs)
    raise CompileError(
        "--target vertex: compiling to Vertex AI Pipelines needs the kfp SDK, and kfp "
        "(every 2.x release) requires kubernetes<31 while this project pins kubernetes==37.0.1; "
        "see docs/pipelines.md"
    )
