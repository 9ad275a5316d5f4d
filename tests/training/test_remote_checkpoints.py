"""`--ckpt-sync s3://…`: checkpoints mirrored to S3 (moto), resumed from there in a fresh
directory bit-exactly, partial uploads ignored, remote retention, bad URIs rejected."""

from __future__ import annotations

import json
import logging
import signal
import socket
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest
import torch
from moto import mock_aws

from training import checkpoint, distributed, train
from training.backends.local import LocalRun
from training.remote_checkpoints import RemoteCheckpoints, parse_uri

ARGS = [
    "--model",
    "digits",
    "--max-steps",
    "40",
    "--ckpt-every",
    "10",
    "--tracking",
    "none",
    "--no-energy",
    "--threads",
    "1",
]
BUCKET = "pioneer-ckpt-test"
PREFIX = "checkpoints/digits/"
URI = f"s3://{BUCKET}/{PREFIX}"
FAKE_AWS = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_SHARED_CREDENTIALS_FILE": "/nonexistent",
    "AWS_CONFIG_FILE": "/nonexistent",
    "AWS_EC2_METADATA_DISABLED": "true",
}


def _plain_env(mp: pytest.MonkeyPatch) -> None:
    """One process, fake credentials, no endpoint override left over from elsewhere."""
    for var in (
        "RANK",
        "LOCAL_RANK",
        "WORLD_SIZE",
        "MASTER_ADDR",
        "MASTER_PORT",
        "AWS_PROFILE",
        "AWS_ENDPOINT_URL",
        "AWS_ENDPOINT_URL_S3",
    ):
        mp.delenv(var, raising=False)
    for key, value in FAKE_AWS.items():
        mp.setenv(key, value)


@pytest.fixture(autouse=True)
def keep_sigterm_handler() -> Iterator[None]:
    before = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, before)


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """An uninterrupted 40-step run without any sync."""
    before = signal.getsignal(signal.SIGTERM)
    with pytest.MonkeyPatch.context() as mp:
        _plain_env(mp)
        out = tmp_path_factory.mktemp("reference")
        assert train.main([*ARGS, "--output-dir", str(out)]) == 0
    signal.signal(signal.SIGTERM, before)
    return json.loads((out / "summary.json").read_text())


@pytest.fixture
def s3(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    _plain_env(monkeypatch)
    with mock_aws():
        client = boto3.client("s3", region_name="us-east-1")
        client.create_bucket(Bucket=BUCKET)
        yield client


def _remote_names(client: Any, under: str = "") -> list[str]:
    """The files directly under PREFIX + `under` (the checkpoints; `output/` holds the rest)."""
    objs = client.list_objects_v2(Bucket=BUCKET, Prefix=PREFIX + under).get("Contents", [])
    names = (o["Key"][len(PREFIX + under) :] for o in objs)
    return sorted(n for n in names if under or "/" not in n)


def _names(*steps: int) -> list[str]:
    return sorted(f"step-{s:08d}.{kind}" for s in steps for kind in ("json", "pt"))


def _train(out: Path, *extra: str) -> dict[str, Any]:
    assert train.main([*ARGS, "--output-dir", str(out), *extra]) == 0
    return json.loads((out / "summary.json").read_text())


@pytest.mark.parametrize(
    "uri", ["gs://bucket/ckpt", "/mnt/checkpoints", "s3://", "s3:/b/x", "S3://Bucket/x"]
)
def test_bad_uri_is_rejected_naming_the_allowed_form(
    uri: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit):
        train.parse_args(["--ckpt-sync", uri])
    err = capsys.readouterr().err
    assert "--ckpt-sync must be s3://bucket/prefix" in err and repr(uri) in err


def test_uri_parsing() -> None:
    assert parse_uri("s3://my-bucket/a/b/") == ("my-bucket", "a/b/")
    assert parse_uri("s3://my-bucket/a") == ("my-bucket", "a/")
    assert parse_uri("s3://my.bucket") == ("my.bucket", "")


def test_run_uploads_checkpoints_and_keeps_only_the_newest_k(
    s3: Any, tmp_path: Path, reference: dict[str, Any]
) -> None:
    s = _train(tmp_path, "--ckpt-sync", URI)
    assert s["status"] == "completed" and s["weights_sha256"] == reference["weights_sha256"]
    assert _remote_names(s3) == _names(20, 30, 40)  # step 10 fell out of keep=3
    local = tmp_path / "checkpoints" / "step-00000040.json"
    remote = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}step-00000040.json")["Body"].read()
    assert remote == local.read_bytes()


def test_push_uploads_data_then_manifest_and_prunes_manifest_first(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[str] = []
    real_upload, real_delete = s3.upload_file, s3.delete_object
    monkeypatch.setattr(
        s3,
        "upload_file",
        lambda f, b, k: (calls.append(f"put {k[len(PREFIX) :]}"), real_upload(f, b, k))[1],
    )
    monkeypatch.setattr(
        s3,
        "delete_object",
        lambda **kw: (calls.append(f"del {kw['Key'][len(PREFIX) :]}"), real_delete(**kw))[1],
    )
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}step-00000005.pt", Body=b"orphan of a cut upload")
    remote = RemoteCheckpoints(URI, tmp_path, keep=2, client=s3)
    for step in (10, 20, 30):
        remote.push(checkpoint.save(tmp_path, step, {"w": torch.full((4,), float(step))}, keep=2))
    assert calls == [
        "put step-00000010.pt",
        "put step-00000010.json",
        "del step-00000005.pt",
        "put step-00000020.pt",
        "put step-00000020.json",
        "put step-00000030.pt",
        "put step-00000030.json",
        "del step-00000010.json",
        "del step-00000010.pt",
    ]
    assert _remote_names(s3) == _names(20, 30)


def test_interrupted_run_resumes_from_s3_in_a_fresh_directory_bit_exact(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, reference: dict[str, Any]
) -> None:
    # The SIGTERM path, deterministically: the stop flag "arrives" after step 25.
    calls = {"n": 0}

    def stop_at_25(flag: bool, env: Any, device: Any) -> bool:
        calls["n"] += 1
        return flag or calls["n"] == 25

    with monkeypatch.context() as mp:
        mp.setattr(distributed, "all_ranks_agree", stop_at_25)
        stopped = _train(tmp_path / "node-a", "--ckpt-sync", URI)
    assert stopped["status"] == "interrupted" and stopped["final_step"] == 25
    assert _remote_names(s3) == _names(10, 20, 25)  # the SIGTERM checkpoint is up before exit
    # A newer data file whose manifest never arrived (upload cut short) must be ignored.
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}step-00000030.pt", Body=b"half a checkpoint")

    fresh = tmp_path / "node-b"  # a new pod: empty local disk
    resumed = _train(fresh, "--ckpt-sync", URI)
    assert resumed["resumed_from_step"] == 25 and resumed["final_step"] == 40
    assert resumed["weights_sha256"] == reference["weights_sha256"]
    assert _remote_names(s3) == _names(25, 30, 40)  # the orphan was overwritten by step 30


def test_output_dir_persists_beside_the_checkpoints_and_a_new_pod_continues_its_mlflow_run(
    s3: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """#18.8: on EKS the output dir is on the pod's disk; summary and MLflow store must survive."""
    calls = {"n": 0}

    def stop_at_25(flag: bool, env: Any, device: Any) -> bool:
        calls["n"] += 1
        return flag or calls["n"] == 25

    tracked = [a for a in ARGS if a not in ("--tracking", "none")]
    pod_a, pod_b = tmp_path / "pod-a", tmp_path / "pod-b"
    with monkeypatch.context() as mp:
        mp.setattr(distributed, "all_ranks_agree", stop_at_25)
        assert train.main([*tracked, "--output-dir", str(pod_a), "--ckpt-sync", URI]) == 0
    stopped = json.loads((pod_a / "summary.json").read_text())
    outputs = _remote_names(s3, "output/")
    assert {"summary.json", "mlflow.db"} <= set(outputs)  # pushed on the SIGTERM path too
    assert not any(n.startswith("checkpoints/") for n in outputs)  # those have their own mirror
    remote = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}output/summary.json")["Body"].read()
    assert json.loads(remote)["status"] == "interrupted"

    # A new pod: empty disk. It pulls the MLflow store before tracking and continues the run.
    assert train.main([*tracked, "--output-dir", str(pod_b), "--ckpt-sync", URI]) == 0
    resumed = json.loads((pod_b / "summary.json").read_text())
    assert resumed["resumed_from_step"] == 25 and resumed["status"] == "completed"
    assert resumed["mlflow_run_id"] == stopped["mlflow_run_id"]
    remote = s3.get_object(Bucket=BUCKET, Key=f"{PREFIX}output/summary.json")["Body"].read()
    assert json.loads(remote)["status"] == "completed"


def test_pull_skips_a_damaged_remote_copy_and_never_replaces_newer_local(
    s3: Any, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    src = tmp_path / "src"
    remote = RemoteCheckpoints(URI, src, keep=3, client=s3)
    for step in (10, 20):
        remote.push(checkpoint.save(src, step, {"w": torch.full((64,), float(step))}))
    s3.put_object(Bucket=BUCKET, Key=f"{PREFIX}step-00000020.pt", Body=b"truncated")

    dest = tmp_path / "dest"
    with caplog.at_level(logging.WARNING, logger="pioneer.remote_checkpoints"):
        assert RemoteCheckpoints(URI, dest, client=s3).pull() == 10
    assert "step-00000020" in caplog.text
    assert sorted(p.name for p in dest.iterdir()) == _names(10)
    assert checkpoint.latest(dest).step == 10

    # Local already has something newer than every complete remote checkpoint: nothing to fetch.
    assert RemoteCheckpoints(URI, src, client=s3).pull() is None
    assert sorted(p.name for p in src.iterdir()) == _names(10, 20)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.mark.slow
def test_sigterm_under_torchrun_uploads_before_exit_and_a_new_pod_resumes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Two processes, a real SIGTERM, moto in server mode on 127.0.0.1 (crosses processes)."""
    from moto.server import ThreadedMotoServer

    _plain_env(monkeypatch)
    port = _free_port()
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=port, verbose=False)
    server.start()
    try:
        endpoint = {
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ENDPOINT_URL_S3": f"http://127.0.0.1:{port}",
            **FAKE_AWS,
        }
        client = boto3.client(
            "s3", endpoint_url=endpoint["AWS_ENDPOINT_URL_S3"], region_name="us-east-1"
        )
        client.create_bucket(Bucket=BUCKET)
        args = [*ARGS, "--ckpt-sync", URI]
        run = LocalRun(2, [*args, "--step-sleep", "0.05"], tmp_path / "pod-1", env=endpoint).start()
        for event in run.events():
            if event.get("step", 0) >= 15 and "event" not in event:
                run.interrupt()
                break
        stopped = run.wait()
        assert stopped["status"] == "interrupted"  # (torchrun itself exits 1 on SIGTERM)
        step = stopped["final_step"]
        assert 15 <= step < 40
        assert f"step-{step:08d}.json" in _remote_names(client)
        assert f"step-{step:08d}.pt" in _remote_names(client)

        resumed = LocalRun(2, args, tmp_path / "pod-2", env=endpoint).start().wait()
        assert resumed["resumed_from_step"] == step and resumed["final_step"] == 40
        assert _remote_names(client)[-2:] == _names(40)
    finally:
        server.stop()
