"""`pioneer train --backend local` stopped by a signal, as `timeout`, CI and systemd stop it."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.parametrize("sig, code", [(signal.SIGTERM, 143)])
def test_signal_to_the_cli_group_checkpoints_and_exits_interrupted(
    tmp_path: Path, sig: signal.Signals, code: int
) -> None:
    out = tmp_path / "run"
    cmd = [
        sys.executable,
        "-c",
        "from stacks.cli import main; main()",
        "train",
        "--backend",
        "local",
        "--nproc",
        "1",
        "--json",
        "--output-dir",
        str(out),
        "--max-steps",
        "100000",
        "--",
        "--ckpt-every",
        "100000",
        "--log-every",
        "1",
        "--tracking",
        "none",
        "--no-energy",
        "--step-sleep",
        "0.02",
    ]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    # Its own process group, like a shell job: the signal goes to the whole group.
    cli = subprocess.Popen(
        cmd,
        cwd=tmp_path,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
    )
    rank_file = out / "ranks" / "rank-0.json"
    deadline = time.monotonic() + 120
    while not rank_file.exists() and cli.poll() is None and time.monotonic() < deadline:
        time.sleep(0.2)
    time.sleep(1.0)  # into the training loop
    os.killpg(cli.pid, sig)
    stdout, stderr = cli.communicate(timeout=120)
    assert cli.returncode == code, stderr[-2000:]
    summary = json.loads(stdout)
    assert summary["status"] == "interrupted"
    assert summary["signal"] == sig.name
    assert 0 < summary["final_step"] < 100000
    # The stop checkpoint, at the step the run stopped (the periodic one never came).
    assert (out / "checkpoints" / f"step-{summary['final_step']:08d}.json").is_file()
    assert "BrokenPipeError" not in (out / "train.log").read_text()
