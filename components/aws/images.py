"""The AWS Deep Learning Container the SageMaker backend trains with, and its ECR repository.

The SageMaker backend resolves its default image with the SageMaker SDK
(`image_uris.retrieve("pytorch", …)`); that image lives in an AWS-owned ECR
account, not in the platform's repository, so the execution role must be
allowed to pull from exactly that repository. Both sides read the SDK's own
table (``sagemaker/core/image_uri_config/pytorch.json``); here it is read as
data, because importing the SDK takes seconds.
"""

from __future__ import annotations

import importlib.util
import json
from functools import cache
from pathlib import Path
from typing import Any

PYTORCH_VERSION = "2.8.0"
"""The PyTorch DLC version the SageMaker backend submits with (its default image)."""


@cache
def _training_table() -> dict[str, Any]:
    found = importlib.util.find_spec("sagemaker")  # the top package only: nothing is imported
    if found is None or not found.submodule_search_locations:
        raise RuntimeError("the SageMaker SDK (package sagemaker) is not installed")
    for root in found.submodule_search_locations:
        path = Path(root) / "core" / "image_uri_config" / "pytorch.json"
        if path.is_file():
            table: dict[str, Any] = json.loads(path.read_text())["training"]
            return table
    raise RuntimeError("the SageMaker SDK has no image_uri_config/pytorch.json")


def dlc_repository_arn(partition: str, region: str) -> str | None:
    """The ECR repository of the backend's default training image in `region` (GPU and CPU
    images share it); None where AWS publishes no PyTorch DLC."""
    version = _training_table()["versions"][PYTORCH_VERSION]
    account = version["registries"].get(region)
    if account is None:
        return None
    return f"arn:{partition}:ecr:{region}:{account}:repository/{version['repository']}"
