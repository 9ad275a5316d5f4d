"""Send a compiled pipeline to its service: SageMaker CreatePipeline / UpdatePipeline."""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any


class SubmitError(RuntimeError):
    pass


def submit(compiled: Mapping[str, Any], outputs: Mapping[str, Any]) -> dict[str, Any]:
    if compiled["target"] != "sagemaker":
        raise SubmitError(
            f"--target {compiled['target']}: submit is implemented for sagemaker only; "
            "use `pioneer pipeline compile --out FILE` and the service's own CLI"
        )
    from botocore.exceptions import BotoCoreError, ClientError

    from training.backends.sagemaker import boto_session

    client = boto_session(outputs["region"]).client("sagemaker")
    args = {
        "PipelineName": compiled["name"],
        "PipelineDefinition": json.dumps(compiled["definition"]),
        "RoleArn": outputs["sagemaker_role_arn"],
    }
    try:
        try:
            arn = client.create_pipeline(**args, PipelineDisplayName=compiled["name"])[
                "PipelineArn"
            ]
            action = "created"
        except ClientError as e:
            if e.response["Error"]["Code"] not in ("ResourceInUse", "ValidationException"):
                raise
            arn = client.update_pipeline(**args)["PipelineArn"]
            action = "updated"
    except (BotoCoreError, ClientError) as e:
        raise SubmitError(f"SageMaker rejected pipeline {compiled['name']}: {e}") from None
    return {"target": "sagemaker", "name": compiled["name"], "arn": arn, "action": action}
