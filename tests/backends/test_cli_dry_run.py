"""`pioneer train --backend B --stack S --dry-run --json` on the shipped stacks' mocked outputs.

The issue's acceptance check: each managed backend prints a request with spot
capacity on, checkpoints in the platform's storage and the training entry point.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from typer.testing import CliRunner

from stacks.cli import app
from stacks.plan import run_plan


def _sagemaker(doc: dict[str, Any], outputs: dict[str, Any]) -> tuple[bool, str, str]:
    req = doc["request"]
    return (
        req["EnableManagedSpotTraining"],
        req["CheckpointConfig"]["S3Uri"],
        doc["uploads"][1]["sourcecode.json"]["command"].split()[-1],
    )


def _vertex(doc: dict[str, Any], outputs: dict[str, Any]) -> tuple[bool, str, str]:
    spec = doc["request"]["custom_job"]["job_spec"]
    run = spec["worker_pool_specs"][0]["container_spec"]["command"][2].splitlines()[-1]
    ckpt = "gs://" + run.split("--ckpt-dir ")[1].split()[0].removeprefix("/gcs/")
    entry = next(a for a in run.split() if a.endswith(".py"))
    return spec["scheduling"]["strategy"] == "SPOT", ckpt, entry


def _azureml(doc: dict[str, Any], outputs: dict[str, Any]) -> tuple[bool, str, str]:
    body = doc["request"]["properties"]
    (cluster,) = [c for c in outputs["compute_clusters"] if c["name"] == body["computeId"]]
    assert doc["datastore"]["account_name"] == outputs["storage_account"]
    assert doc["datastore"]["container_name"] == outputs["bucket_name"]
    entry = body["command"].split("python ")[1].split()[0]
    return cluster["priority"] == "LowPriority", body["outputs"]["checkpoints"]["uri"], entry


CASES = [
    ("sagemaker", "aws-dev", _sagemaker, lambda o: f"s3://{o['bucket_name']}/checkpoints/"),
    ("vertex", "gcp-dev", _vertex, lambda o: f"gs://{o['bucket_name']}/checkpoints/"),
    (
        "azureml",
        "azure-dev",
        _azureml,
        lambda o: f"azureml://datastores/pioneer_{o['bucket_name']}/paths/checkpoints/",
    ),
]


@pytest.mark.parametrize(("backend", "stack", "read", "storage"), CASES, ids=[c[0] for c in CASES])
def test_dry_run_prints_spot_request_with_platform_checkpoints(backend, stack, read, storage):
    result = CliRunner().invoke(
        app, ["train", "--backend", backend, "--stack", stack, "--dry-run", "--json"]
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert doc["backend"] == backend
    outputs = run_plan(stack).run.outputs
    spot, checkpoints, entry_point = read(doc, outputs)
    assert spot is True
    assert checkpoints.startswith(storage(outputs))
    assert entry_point == "training/train.py"
