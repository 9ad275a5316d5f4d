"""training.forward_signals: a stop signal to the forwarder reaches its command as SIGTERM."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

# Stands in for torchrun: records the signal it got, then "checkpoints" and exits with 7.
CHILD = """
import signal, sys, time, pathlib
out = pathlib.Path(sys.argv[1])
def stop(signum, frame):
    out.write_text(signal.Signals(signum).name)
    sys.exit(7)
signal.signal(signal.SIGTERM, stop)
pathlib.Path(sys.argv[1] + ".ready").touch()
while True:
    time.sleep(0.05)
"""


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_signal_is_forwarded_as_sigterm_and_the_exit_code_is_the_commands(
    tmp_path: Path, sig: signal.Signals
) -> None:
    got = tmp_path / "got"
    forwarder = subprocess.Popen(
        [sys.executable, "-m", "training.forward_signals", sys.executable, "-c", CHILD, str(got)],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    ready = tmp_path / "got.ready"
    deadline = time.monotonic() + 60
    while not ready.exists():
        assert forwarder.poll() is None and time.monotonic() < deadline, "child never started"
        time.sleep(0.05)
    forwarder.send_signal(sig)
    assert forwarder.wait(timeout=60) == 7  # waited for the command, returned its status
    assert got.read_text() == "SIGTERM"


def test_a_command_killed_by_a_signal_exits_like_the_shell_says(tmp_path: Path) -> None:
    rc = subprocess.run(
        [sys.executable, "-m", "training.forward_signals", "--", "sh", "-c", "kill -9 $$"],
        cwd=REPO,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    ).returncode
    assert rc == 128 + signal.SIGKILL


def test_no_command_is_a_usage_error() -> None:
    from training.forward_signals import main

    assert main([]) == 2
