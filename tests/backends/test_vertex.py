"""Vertex AI backend: the CustomJob request proto, and a submission to a fake REST endpoint."""

from __future__ import annotations

import dataclasses
import json
import subprocess
import sys
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from pathlib import Path
from typing import Any

import pytest
from google.cloud import aiplatform_v1 as v1

from training.backends import vertex
from training.backends.common import BackendError

REPO = Path(__file__).resolve().parents[2]


def _request(job, outputs) -> v1.CreateCustomJobRequest:
    return vertex.build_request(job, outputs, "digits-run1")


def test_chief_plus_workers_on_the_catalog_machine(job, gcp_outputs):
    spec = _request(job, gcp_outputs).custom_job.job_spec
    assert [p.replica_count for p in spec.worker_pool_specs] == [1, 1]  # chief + 1 worker
    for pool in spec.worker_pool_specs:
        assert pool.machine_spec.machine_type == "a2-ultragpu-8g"  # 8x A100-80GB
        assert pool.machine_spec.accelerator_type == v1.AcceleratorType.NVIDIA_A100_80GB
        assert pool.machine_spec.accelerator_count == 8


def test_three_nodes_make_two_workers(job, gcp_outputs):
    spec = _request(dataclasses.replace(job, nodes=3), gcp_outputs).custom_job.job_spec
    assert [p.replica_count for p in spec.worker_pool_specs] == [1, 2]
    single = _request(dataclasses.replace(job, nodes=1), gcp_outputs).custom_job.job_spec
    assert [p.replica_count for p in single.worker_pool_specs] == [1]


def test_spot_scheduling_restart_and_timeout(job, gcp_outputs):
    sched = _request(job, gcp_outputs).custom_job.job_spec.scheduling
    assert sched.strategy == v1.Scheduling.Strategy.SPOT
    assert sched.restart_job_on_worker_restart is True
    assert sched.timeout.total_seconds() == 6 * 3600
    on_demand = _request(dataclasses.replace(job, capacity="on_demand"), gcp_outputs)
    # ON_DEMAND is deprecated in the API in favour of STANDARD.
    assert on_demand.custom_job.job_spec.scheduling.strategy == v1.Scheduling.Strategy.STANDARD


def test_identity_storage_and_encryption_come_from_the_outputs(job, gcp_outputs):
    req = _request(job, gcp_outputs)
    spec = req.custom_job.job_spec
    assert req.parent == "projects/pioneer-ml-dev/locations/us-central1"
    assert spec.service_account == gcp_outputs["training_service_account"]
    assert spec.base_output_directory.output_uri_prefix == (
        "gs://mlp-gcp-data-0123abcd/outputs/digits"
    )
    assert spec.tensorboard == gcp_outputs["tensorboard_id"]
    assert req.custom_job.encryption_spec.kms_key_name == gcp_outputs["kms_key_id"]


def test_container_runs_torchrun_with_node_level_rank(job, gcp_outputs):
    pool = _request(job, gcp_outputs).custom_job.job_spec.worker_pool_specs[0]
    assert pool.container_spec.command[:2] == ["bash", "-c"]
    script = pool.container_spec.command[2]
    assert "tar -xzf /gcs/mlp-gcp-data-0123abcd/code/digits-run1/source.tar.gz" in script
    assert "pip install --quiet -r training/requirements.txt" in script
    run = script.splitlines()[-1]
    assert run.startswith("exec torchrun --nnodes=2 --nproc_per_node=8 ")
    assert '--node_rank="$NODE_RANK"' in run
    assert '--master_addr="$MASTER_ADDR"' in run
    assert '--master_port="$MASTER_PORT"' in run
    assert run.index("training/train.py") < run.index("--model digits --max-steps 50")
    assert "--ckpt-dir /gcs/mlp-gcp-data-0123abcd/checkpoints/digits" in run
    assert "--output-dir /gcs/mlp-gcp-data-0123abcd/outputs/digits/model" in run


def test_tpu_machine_type_with_topology(job, gcp_outputs):
    tpu = dataclasses.replace(job, accelerator="TPU-v5e", accelerators_per_node=4, nodes=1)
    pool = _request(tpu, gcp_outputs).custom_job.job_spec.worker_pool_specs[0]
    assert pool.machine_spec.machine_type == "ct5lp-hightpu-4t"
    assert pool.machine_spec.tpu_topology == "2x2"
    assert pool.machine_spec.accelerator_count == 0
    assert "pytorch-xla" in pool.container_spec.image_uri
    assert "--nproc_per_node=1" in pool.container_spec.command[2]
    with pytest.raises(BackendError, match="nodes: 2 — a Vertex AI TPU job runs on one"):
        _request(dataclasses.replace(tpu, nodes=2), gcp_outputs)


def test_dry_run_is_json_with_enum_names(job, gcp_outputs):
    doc = vertex.dry_run(job, gcp_outputs)
    json.dumps(doc)
    assert doc["request"]["custom_job"]["job_spec"]["scheduling"]["strategy"] == "SPOT"
    (code,) = doc["uploads"]
    script = doc["request"]["custom_job"]["job_spec"]["worker_pool_specs"][0]["container_spec"]
    assert f"tar -xzf {vertex.gcs_path(code['to'])} " in script["command"][2]
    assert code["files"] == 2


def test_missing_outputs_and_s3_checkpoint_uri_are_rejected(job, gcp_outputs):
    with pytest.raises(BackendError, match="lack training_service_account"):
        vertex.dry_run(job, {**gcp_outputs, "training_service_account": None})
    with pytest.raises(BackendError, match="must be a gs:// URI"):
        vertex.dry_run(dataclasses.replace(job, checkpoint_uri="s3://x/y"), gcp_outputs)


def test_missing_credentials_fail_before_upload(job, gcp_outputs, monkeypatch):
    monkeypatch.setenv("GOOGLE_APPLICATION_CREDENTIALS", "/nonexistent/creds.json")
    uploads: list[Any] = []
    monkeypatch.setattr(vertex, "_upload_source", lambda *a: uploads.append(a))
    with pytest.raises(BackendError, match="no Google Cloud credentials"):
        vertex.submit(job, gcp_outputs)
    assert uploads == []


class _FakeVertex(BaseHTTPRequestHandler):
    """Answers CreateCustomJob / GetCustomJob like the v1 REST API, recording the bodies."""

    created: list[dict[str, Any]] = []

    def do_POST(self) -> None:  # noqa: N802 (http.server API)
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        _FakeVertex.created.append({"path": self.path, "body": body})
        parent = self.path.split("?")[0].removeprefix("/v1/").removesuffix("/customJobs")
        self._reply({**body, "name": f"{parent}/customJobs/42", "state": "JOB_STATE_QUEUED"})

    def do_GET(self) -> None:  # noqa: N802
        self._reply(
            {"name": self.path.split("?")[0].removeprefix("/v1/"), "state": "JOB_STATE_RUNNING"}
        )

    def _reply(self, doc: dict[str, Any]) -> None:
        data = json.dumps(doc).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, *args: Any) -> None:
        pass


def test_submit_sends_the_request_over_rest(job, gcp_outputs, monkeypatch):
    from google.auth.credentials import AnonymousCredentials
    from google.cloud.aiplatform_v1.services.job_service import JobServiceClient

    server = HTTPServer(("127.0.0.1", 0), _FakeVertex)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    uploads: list[str] = []
    monkeypatch.setattr(vertex, "credentials", lambda: (AnonymousCredentials(), None))
    monkeypatch.setattr(vertex, "_upload_source", lambda j, o, run, c: uploads.append(run))
    monkeypatch.setattr(
        vertex,
        "_job_client",
        lambda region, creds: JobServiceClient(
            credentials=creds,
            transport="rest",
            client_options={"api_endpoint": f"http://127.0.0.1:{server.server_port}"},
        ),
    )
    _FakeVertex.created.clear()
    try:
        handle = vertex.submit(job, gcp_outputs)
        assert handle.status() == "JOB_STATE_RUNNING"
    finally:
        server.shutdown()

    (sent,) = _FakeVertex.created
    assert sent["path"].startswith("/v1/projects/pioneer-ml-dev/locations/us-central1/customJobs")
    spec = sent["body"]["jobSpec"]
    assert spec["scheduling"]["strategy"] == v1.Scheduling.Strategy.SPOT.value  # enums as ints
    assert spec["serviceAccount"] == gcp_outputs["training_service_account"]
    assert [int(p["replicaCount"]) for p in spec["workerPoolSpecs"]] == [1, 1]
    assert sent["body"]["displayName"] == uploads[0]  # the code went up under the run name
    assert handle.name == "projects/pioneer-ml-dev/locations/us-central1/customJobs/42"


def _run_node_start(job, outputs, environ: dict[str, str], tmp_path: Path) -> Any:
    """The container script from the node-rank lines on, in bash, with torchrun stubbed."""
    script = _request(job, outputs).custom_job.job_spec.worker_pool_specs[0].container_spec
    lines = script.command[2].splitlines()
    start = next(i for i, line in enumerate(lines) if "vertex_cluster" in line)
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir(parents=True)
    (bin_dir / "python3").symlink_to(sys.executable)
    (bin_dir / "torchrun").write_text('#!/bin/sh\nprintf "%s\\n" "$@"\n')
    (bin_dir / "torchrun").chmod(0o755)
    body = "\n".join(["set -euo pipefail", *lines[start:]])
    env = {"PATH": f"{bin_dir}:/usr/bin:/bin", "PYTHONPATH": str(REPO), **environ}
    return subprocess.run(
        ["bash", "-c", body], cwd=REPO, env=env, capture_output=True, text=True, timeout=60
    )


CLUSTER_SPEC = {
    "cluster": {
        "workerpool0": ["cmle-training-workerpool0-1a-0:2222"],
        "workerpool1": [
            "cmle-training-workerpool1-1a-0:2222",
            "cmle-training-workerpool1-1a-1:2222",
        ],
    },
    "environment": "cloud",
    "task": {"type": "workerpool1", "index": 1},
}


def test_multi_node_rank_and_chief_come_from_cluster_spec(job, gcp_outputs, tmp_path):
    three = dataclasses.replace(job, nodes=3)
    out = _run_node_start(three, gcp_outputs, {"CLUSTER_SPEC": json.dumps(CLUSTER_SPEC)}, tmp_path)
    assert out.returncode == 0, out.stderr
    args = out.stdout.splitlines()
    assert "--node_rank=2" in args  # chief 0, workerpool1 index 0 -> 1, index 1 -> 2
    assert "--master_addr=cmle-training-workerpool0-1a-0" in args
    assert "--master_port=2222" in args


def test_vertex_rank_variables_win_over_cluster_spec(job, gcp_outputs, tmp_path):
    environ = {"RANK": "1", "MASTER_ADDR": "10.0.0.2", "MASTER_PORT": "23456"}
    out = _run_node_start(job, gcp_outputs, {**environ, "CLUSTER_SPEC": "{}"}, tmp_path)
    assert out.returncode == 0, out.stderr
    assert {"--node_rank=1", "--master_addr=10.0.0.2", "--master_port=23456"} <= set(
        out.stdout.splitlines()
    )


def test_multi_node_without_rank_or_cluster_spec_fails_before_torchrun(job, gcp_outputs, tmp_path):
    out = _run_node_start(job, gcp_outputs, {}, tmp_path)
    assert out.returncode == 2
    assert out.stdout == ""  # torchrun never started
    assert "CLUSTER_SPEC: a 2-node job needs RANK and MASTER_ADDR or CLUSTER_SPEC" in out.stderr
    wrong = {"CLUSTER_SPEC": json.dumps(CLUSTER_SPEC)}  # three replicas for a two-node job
    out = _run_node_start(job, gcp_outputs, wrong, tmp_path / "again")
    assert out.returncode == 2
    assert "CLUSTER_SPEC: lists 3 replicas, the job has 2 nodes" in out.stderr


def test_single_node_job_needs_no_cluster_spec(job, gcp_outputs, tmp_path):
    one = dataclasses.replace(job, nodes=1)
    out = _run_node_start(one, gcp_outputs, {}, tmp_path)
    assert out.returncode == 0, out.stderr
    assert "--node_rank=0" in out.stdout.splitlines()
