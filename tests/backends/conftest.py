"""Fixtures for the managed-backend tests: a small source tree and stack outputs per cloud.

The outputs have the shape the platform components export (see each backend's
REQUIRED_OUTPUTS); values look like what each cloud returns.
"""

from __future__ import annotations

import socket
from pathlib import Path
from typing import Any

import pytest

from training.job import TrainingJob


@pytest.fixture(autouse=True)
def no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """Fail any connection that leaves this machine (dry runs must send nothing)."""
    real_connect = socket.socket.connect

    def connect(sock: socket.socket, address: Any) -> Any:
        host = address[0] if isinstance(address, tuple) else address
        if host not in ("127.0.0.1", "localhost", "::1") and not isinstance(host, bytes):
            raise AssertionError(f"network access to {address!r} in a backend test")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", connect)


@pytest.fixture
def source_dir(tmp_path: Path) -> Path:
    """A source tree holding the entry point, a requirements file and a cache to skip."""
    root = tmp_path / "src"
    (root / "training" / "__pycache__").mkdir(parents=True)
    (root / "training" / "train.py").write_text("print('training')\n")
    (root / "training" / "requirements.txt").write_text("numpy\n")
    (root / "training" / "__pycache__" / "train.cpython-311.pyc").write_bytes(b"\0")
    return root


@pytest.fixture
def job(source_dir: Path) -> TrainingJob:
    return TrainingJob(
        name="digits",
        source_dir=str(source_dir),
        args=("--model", "digits", "--max-steps", "50"),
        accelerator="A100-80GB",
        accelerators_per_node=8,
        nodes=2,
        capacity="spot",
        max_run_hours=6,
        max_wait_hours=12,
    )


@pytest.fixture
def aws_outputs() -> dict[str, Any]:
    return {
        "cloud": "aws",
        "region": "us-east-1",
        "bucket_name": "mlp-aws-data-0123abcd",
        "kms_key_arn": "arn:aws:kms:us-east-1:123456789012:key/1111-2222",
        "sagemaker_role_arn": "arn:aws:iam::123456789012:role/mlp-aws-sagemaker",
        "registry_url": "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlp-aws-train",
        "private_subnet_ids": ["subnet-0aaa", "subnet-0bbb"],
        "security_group_id": "sg-0ccc",
    }


@pytest.fixture
def gcp_outputs() -> dict[str, Any]:
    return {
        "cloud": "gcp",
        "project": "pioneer-ml-dev",
        "region": "us-central1",
        "bucket_name": "mlp-gcp-data-0123abcd",
        "bucket_url": "gs://mlp-gcp-data-0123abcd",
        "kms_key_id": "projects/pioneer-ml-dev/locations/us-central1/keyRings/mlp-gcp/"
        "cryptoKeys/mlp-gcp-data",
        "training_service_account": "mlp-gcp-train@pioneer-ml-dev.iam.gserviceaccount.com",
        "registry_url": "us-central1-docker.pkg.dev/pioneer-ml-dev/mlp-gcp",
        "tensorboard_id": "projects/123/locations/us-central1/tensorboards/456",
        "network": "projects/pioneer-ml-dev/global/networks/mlp-gcp",
    }


@pytest.fixture
def azure_outputs() -> dict[str, Any]:
    return {
        "cloud": "azure",
        "resource_group": "mlp-azure-rg",
        "region": "eastus",
        "subscription_id": "00000000-0000-0000-0000-000000000001",
        "workspace_name": "mlp-azure-ws",
        "compute_clusters": [
            {
                "name": "train-a100-lp",
                "priority": "LowPriority",
                "vm_size": "Standard_ND96amsr_A100_v4",
                "pool": "train-a100",
            },
            {
                "name": "train-a100-dd",
                "priority": "Dedicated",
                "vm_size": "Standard_ND96amsr_A100_v4",
                "pool": "train-a100-ondemand",
            },
        ],
        "storage_account": "mlpazuredata0123",
        "bucket_name": "training",
    }
