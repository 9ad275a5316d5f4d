"""Each backend's default training image and the PyTorch it carries: the one table.

The training code must run on the oldest torch listed here (training.distributed
passes only what that torch's `init_process_group` accepts), and the tests check
the code against each version's signature. Change an image here, not in a backend.
"""

from __future__ import annotations

from dataclasses import dataclass

# The DLC version also names the ECR repository the platform grants (components/aws/images.py).
from components.aws.images import PYTORCH_VERSION as AWS_DLC_TORCH


@dataclass(frozen=True)
class Image:
    uri: str
    torch: str  # major.minor[.patch] of the torch inside


DEFAULT_IMAGES: dict[str, Image] = {
    # AWS Deep Learning Container: the SDK resolves the URI per region and instance (GPU/CPU).
    "sagemaker": Image("pytorch-training (AWS DLC, resolved by the sagemaker SDK)", AWS_DLC_TORCH),
    "vertex": Image("us-docker.pkg.dev/vertex-ai/training/pytorch-gpu.2-4.py310:latest", "2.4"),
    "vertex-tpu": Image("us-docker.pkg.dev/vertex-ai/training/pytorch-xla.2-4.py310:latest", "2.4"),
    # Azure ML curated environment (ACPT: PyTorch, CUDA, NCCL, DeepSpeed).
    "azureml": Image(
        "azureml://registries/azureml/environments/acpt-pytorch-2.2-cuda12.1/labels/latest", "2.2"
    ),
    # training/Dockerfile's BASE, the image the EKS/GKE/AKS JobSets run.
    "kubernetes": Image("pytorch/pytorch:2.5.1-cuda12.4-cudnn9-runtime", "2.5.1"),
}
