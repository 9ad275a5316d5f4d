"""One TrainingJob, three services: the requests agree on what matters (table-driven)."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable
from typing import Any

import pytest

from training.backends import azureml, sagemaker, vertex


def _sagemaker(doc: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    req = doc["request"]
    command = doc["uploads"][1]["sourcecode.json"]["command"]
    return {
        "spot": req["EnableManagedSpotTraining"],
        "nodes": req["ResourceConfig"]["InstanceCount"],
        "procs_per_node": int(command.split("--nproc_per_node=")[1].split()[0]),
        "checkpoints": req["CheckpointConfig"]["S3Uri"].removesuffix("/"),
        "entry_point": command.split()[-1],
        "storage": f"s3://{outputs['bucket_name']}/",
    }


def _vertex(doc: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    spec = doc["request"]["custom_job"]["job_spec"]
    pools = spec["worker_pool_specs"]
    script = pools[0]["container_spec"]["command"][2]
    ckpt = script.split("--ckpt-dir ")[1].split()[0]
    return {
        "spot": spec["scheduling"]["strategy"] == "SPOT",
        "nodes": sum(int(p["replica_count"]) for p in pools),
        "procs_per_node": int(script.split("--nproc_per_node=")[1].split()[0]),
        "checkpoints": "gs://" + ckpt.removeprefix("/gcs/"),
        "entry_point": "training/train.py" if " training/train.py " in script else None,
        "storage": f"gs://{outputs['bucket_name']}/",
    }


def _azureml(doc: dict[str, Any], outputs: dict[str, Any]) -> dict[str, Any]:
    body = doc["request"]["properties"]
    clusters = {c["name"]: c for c in outputs["compute_clusters"]}
    cluster = clusters.get(body.get("computeId", ""))
    return {
        "spot": (cluster or {}).get("priority") == "LowPriority"
        or body.get("queueSettings", {}).get("jobTier") == "Spot",
        "nodes": body["resources"]["instanceCount"],
        "procs_per_node": body["distribution"]["processCountPerInstance"],
        "checkpoints": body["outputs"]["checkpoints"]["uri"],
        "entry_point": "training/train.py"
        if "python training/train.py" in body["command"]
        else None,
        "storage": f"azureml://datastores/{doc['datastore']['name']}/",
    }


BACKENDS: list[tuple[Any, str, Callable[..., dict[str, Any]]]] = [
    (sagemaker, "aws_outputs", _sagemaker),
    (vertex, "gcp_outputs", _vertex),
    (azureml, "azure_outputs", _azureml),
]


@pytest.mark.parametrize("capacity", ["spot", "on_demand"])
@pytest.mark.parametrize("nodes", [1, 3])
@pytest.mark.parametrize(
    ("backend", "outputs_fixture", "read"), BACKENDS, ids=["sagemaker", "vertex", "azureml"]
)
def test_same_job_same_request(job, request, backend, outputs_fixture, read, capacity, nodes):
    outputs = request.getfixturevalue(outputs_fixture)
    one = dataclasses.replace(job, capacity=capacity, nodes=nodes)
    got = read(backend.dry_run(one, outputs), outputs)
    assert got["spot"] is (capacity == "spot")
    assert got["nodes"] == nodes
    assert got["procs_per_node"] == 8
    assert got["entry_point"] == "training/train.py"
    # Checkpoints are per job name in the platform storage's checkpoints/ area.
    assert got["checkpoints"].startswith(got["storage"])
    assert got["checkpoints"].endswith("/checkpoints/digits")


@pytest.mark.parametrize(
    ("backend", "outputs_fixture"),
    [(b, f) for b, f, _ in BACKENDS],
    ids=["sagemaker", "vertex", "azureml"],
)
def test_price_scales_with_nodes_and_spot_is_cheaper(job, request, backend, outputs_fixture):
    outputs = request.getfixturevalue(outputs_fixture)
    one = backend.dry_run(dataclasses.replace(job, nodes=1), outputs)["price"]
    three = backend.dry_run(dataclasses.replace(job, nodes=3), outputs)["price"]
    on_demand = backend.dry_run(dataclasses.replace(job, nodes=1, capacity="on_demand"), outputs)[
        "price"
    ]
    assert three["usd_per_hour"] == pytest.approx(3 * one["usd_per_hour"], abs=0.02)
    assert one["max_usd"] == pytest.approx(one["usd_per_hour"] * job.max_run_hours, abs=0.1)
    assert one["usd_per_hour"] < on_demand["usd_per_hour"]
    assert one["managed_premium"] >= 1.0
    assert one["source"]
