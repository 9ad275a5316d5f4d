"""A SageMaker stop notice reaches the training code: the container's launch chain under SIGTERM.

The request is built with the SDK (its `sm_train.sh`, environment script and driver
files), laid out at `/opt/ml` as the training container sees it, and started the way
SageMaker starts it: the request's ContainerEntrypoint and ContainerArguments as PID 1
of a new PID namespace (`unshare`). SIGTERM then goes to PID 1 only, as `docker stop`
sends it on StopTrainingJob and on a spot interruption.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest

from training.backends import sagemaker
from training.job import TrainingJob

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parents[2]
# Long enough that only a stop notice ends it; slowed so the notice lands mid-run.
TRAIN_ARGS = (
    "--model",
    "digits",
    "--max-steps",
    "100000",
    "--ckpt-every",
    "100000",
    "--log-every",
    "1",
    "--tracking",
    "none",
    "--no-energy",
    "--step-sleep",
    "0.02",
)


def _unshare() -> list[str]:
    """An `unshare` that gives us a PID namespace (and a mount namespace for /opt/ml), or skip."""
    if shutil.which("unshare") is None or not Path("/opt").is_dir():
        pytest.skip("needs util-linux unshare and an /opt folder to mount over")
    for cmd in (
        ["unshare", "--pid", "--fork", "--mount-proc"],
        ["unshare", "--map-root-user", "--pid", "--fork", "--mount-proc"],
    ):
        if subprocess.run([*cmd, "true"], capture_output=True).returncode == 0:
            return cmd
    pytest.skip("unshare --pid is not permitted here (neither as this user nor with -r)")


def _container(tmp_path: Path, aws_outputs: dict[str, Any]) -> tuple[dict[str, Any], Path]:
    """The request, and `/opt/ml` as SageMaker lays it out for a one-instance job."""
    job = TrainingJob(
        name="digits",
        source_dir=str(REPO),
        args=TRAIN_ARGS,
        accelerator="A10G",
        accelerators_per_node=1,
        nodes=1,
        requirements=None,  # the image (here: this venv) has them; nothing to pip install
    )
    session = sagemaker._session(
        aws_outputs, sagemaker._offline_boto_session(aws_outputs["region"]), upload=False
    )
    trainer = sagemaker._trainer(job, aws_outputs, session)
    request = sagemaker._request(trainer)
    ml = tmp_path / "opt-ml"
    data = ml / "input" / "data"
    shutil.copytree(trainer._temp_code_dir.name, data / "sm_drivers")  # what goes up as sm_drivers
    trainer._temp_code_dir.cleanup()
    (data / "code").symlink_to(REPO)  # the code channel: this source tree
    for d in ("model", "checkpoints", "output"):
        (ml / d).mkdir()
    config = ml / "input" / "config"
    config.mkdir()
    resource = {
        "current_host": "algo-1",
        "current_instance_type": request["ResourceConfig"]["InstanceType"],
        "hosts": ["algo-1"],
        "network_interface_name": "eth0",
    }
    channels = {c["ChannelName"]: {"TrainingInputMode": "File"} for c in request["InputDataConfig"]}
    (config / "resourceconfig.json").write_text(json.dumps(resource))
    (config / "inputdataconfig.json").write_text(json.dumps(channels))
    (config / "hyperparameters.json").write_text(json.dumps(request.get("HyperParameters", {})))
    return request, ml


def _pid1(launcher: subprocess.Popen[str]) -> int:
    """The namespace's PID 1, as this namespace numbers it: the `unshare --fork` child."""
    children = Path(f"/proc/{launcher.pid}/task/{launcher.pid}/children")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        pids = children.read_text().split()
        if pids:
            return int(pids[0])
        time.sleep(0.05)
    raise AssertionError("unshare started no child")


def test_stop_notice_to_pid1_reaches_the_workers_and_they_checkpoint(
    tmp_path: Path, aws_outputs: dict[str, Any]
) -> None:
    unshare = _unshare()
    request, ml = _container(tmp_path, aws_outputs)
    spec = request["AlgorithmSpecification"]
    entry = [*spec["ContainerEntrypoint"], *spec["ContainerArguments"]]
    # Mount this /opt/ml over /opt/ml inside the namespace, then become the container's PID 1.
    setup = f'mount -t tmpfs tmpfs /opt && mkdir /opt/ml && mount --bind {ml} /opt/ml && exec "$@"'
    env = {
        "PATH": f"{Path(sys.executable).parent}:/usr/bin:/bin",
        "HOME": str(tmp_path),
        "TRAINING_JOB_NAME": "digits-test",
        "OMP_NUM_THREADS": "1",
        "PYTHONUNBUFFERED": "1",
        **request.get("Environment", {}),
    }
    launcher = subprocess.Popen(
        [*unshare, "/bin/sh", "-c", setup, "setup", *entry],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    try:
        pid1 = _pid1(launcher)
        rank_file = ml / "model" / "ranks" / "rank-0.json"
        deadline = time.monotonic() + 180
        while not rank_file.exists() and launcher.poll() is None:
            assert time.monotonic() < deadline, "training never started"
            time.sleep(0.2)
        time.sleep(1.0)  # into the training loop
        assert launcher.poll() is None, launcher.communicate()[0][-3000:]
        # PID 1 is our forwarder, exec'd in place of the SDK's shells.
        cmdline = Path(f"/proc/{pid1}/cmdline").read_bytes().split(b"\0")
        assert b"training.forward_signals" in cmdline, cmdline
        os.kill(pid1, signal.SIGTERM)
        try:
            log, _ = launcher.communicate(timeout=60)
        except subprocess.TimeoutExpired:
            raise AssertionError("SIGTERM to PID 1 did not stop the training") from None
    finally:
        if launcher.poll() is None:
            os.killpg(launcher.pid, signal.SIGKILL)  # PID 1's end takes the namespace with it
            launcher.wait()
    summary_file = ml / "model" / "summary.json"
    assert summary_file.is_file(), log[-3000:]
    summary = json.loads(summary_file.read_text())
    assert summary["status"] == "interrupted"
    assert 0 < summary["final_step"] < 100000
    # The stop checkpoint, at the step it stopped, where SageMaker syncs it to S3.
    assert (ml / "checkpoints" / f"step-{summary['final_step']:08d}.json").is_file()
    assert "BrokenPipeError" not in log
