"""`training.launch`, the training pod's PID 1 (#18.9): a stop signal goes to torchrun's workers,
not to torchrun (whose 30 s kill timer is fixed in the images' torch), they get the cloud's
notice to checkpoint, and the exit status says the job was stopped."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import psutil
import pytest

REPO = Path(__file__).resolve().parents[2]
# Stands in for torchrun: if it ever sees SIGTERM it does what an old torchrun does 30 s later
# (kills its workers), at once, so a launcher that signalled it cannot pass.
FAKE_TORCHRUN = """
import pathlib, signal, subprocess, sys
out, mode = pathlib.Path(sys.argv[1]), sys.argv[2]
worker = subprocess.Popen([sys.executable, str(out / "worker.py"), str(out), mode])
def on_term(signum, frame):
    (out / "torchrun-signalled").write_text("1")
    worker.kill()
    sys.exit(1)
signal.signal(signal.SIGTERM, on_term)
sys.exit(worker.wait())
"""
WORKER = """
import os, pathlib, signal, sys, time
out, mode = pathlib.Path(sys.argv[1]), sys.argv[2]
stop = []
if mode == "checkpoint":
    signal.signal(signal.SIGTERM, lambda s, f: stop.append(s))
else:  # a worker stuck in a collective: the signal changes nothing
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
(out / "worker.pid").write_text(str(os.getpid()))
while not stop:
    time.sleep(0.02)
time.sleep(0.3)  # the stop checkpoint takes a while
(out / "checkpoint").write_text("saved")
sys.exit(0)  # the training code exits 0 after its stop checkpoint
"""


def launch(tmp_path: Path, mode: str, timeout: float) -> subprocess.Popen[bytes]:
    (tmp_path / "torchrun.py").write_text(FAKE_TORCHRUN)
    (tmp_path / "worker.py").write_text(WORKER)
    cmd = [sys.executable, "-m", "training.launch", f"--shutdown-timeout={timeout}", "--"]
    cmd += [sys.executable, str(tmp_path / "torchrun.py"), str(tmp_path), mode]
    proc = subprocess.Popen(cmd, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)})
    for _ in range(1000):  # until the worker runs (never a fixed sleep)
        if (tmp_path / "worker.pid").exists():
            return proc
        time.sleep(0.01)
    proc.kill()
    raise AssertionError("the fake worker never started")


def test_sigterm_reaches_the_workers_not_torchrun_and_they_checkpoint(tmp_path):
    proc = launch(tmp_path, "checkpoint", timeout=60)
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM  # stopped, not complete: never 0
    assert (tmp_path / "checkpoint").read_text() == "saved"
    assert not (tmp_path / "torchrun-signalled").exists()


def test_workers_still_running_after_the_notice_are_killed(tmp_path):
    proc = launch(tmp_path, "ignore", timeout=0.5)
    worker = psutil.Process(int((tmp_path / "worker.pid").read_text()))
    proc.send_signal(signal.SIGTERM)
    assert proc.wait(timeout=60) == 128 + signal.SIGTERM
    with pytest.raises(psutil.NoSuchProcess):
        worker.wait(timeout=30)  # gone (raises at once if already reaped)
        worker.status()
    assert not (tmp_path / "checkpoint").exists()


def test_without_a_signal_the_exit_status_is_the_commands():
    cmd = [sys.executable, "-m", "training.launch", "--shutdown-timeout=5", "--"]
    cmd += [sys.executable, "-c", "import sys; sys.exit(3)"]
    assert (
        subprocess.run(cmd, cwd=REPO, env={**os.environ, "PYTHONPATH": str(REPO)}).returncode == 3
    )


def test_a_missing_command_is_an_error_naming_the_form(capsys):
    from training import launch as launcher

    with pytest.raises(SystemExit) as exc:
        launcher.main(["--shutdown-timeout", "5"])
    assert exc.value.code == 2
    assert "give the command to run after --" in capsys.readouterr().err
