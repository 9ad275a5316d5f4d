"""The local backend: the shared entry point under torchrun, as N processes on this machine.

    run = LocalRun(nproc=2, train_args=["--model", "digits"], output_dir=Path("runs/digits"))
    for event in run.events():      # parsed PIONEER_PROGRESS lines from rank 0
        ...
    summary = run.wait()            # <output-dir>/summary.json plus what the launcher knows

`torchrun --standalone` finds a free port on localhost for the rendezvous, so
several local runs can share the machine. Worker logs (stderr and any other
output) go to `<output-dir>/train.log`; stdout carries only progress lines.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import threading
from collections import deque
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

ENTRY_POINT = Path(__file__).resolve().parents[1] / "train.py"
PROGRESS_PREFIX = "PIONEER_PROGRESS "  # the entry point's contract (training.train)
SUMMARY_FILE = "summary.json"
LOG_FILE = "train.log"


class LocalRunError(RuntimeError):
    pass


def torchrun_command(nproc: int, train_args: Sequence[str]) -> list[str]:
    if nproc < 1:
        raise ValueError(f"nproc must be >= 1, got {nproc}")
    return [
        sys.executable,
        "-m",
        "torch.distributed.run",
        "--standalone",
        f"--nproc-per-node={nproc}",
        str(ENTRY_POINT),
        *train_args,
    ]


def _flag(args: Sequence[str], name: str) -> str | None:
    for i, a in enumerate(args):
        if a == name and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(name + "="):
            return a.split("=", 1)[1]
    return None


class LocalRun:
    """One torchrun launch; `events()` streams progress, `wait()` returns the summary."""

    def __init__(
        self,
        nproc: int,
        train_args: Sequence[str],
        output_dir: Path,
        env: dict[str, str] | None = None,
    ):
        if _flag(train_args, "--output-dir") is not None:
            raise ValueError(
                "--output-dir: give it as an option of `pioneer train`, not after `--`"
            )
        self.nproc = nproc
        self.output_dir = Path(output_dir)
        self.train_args = [*train_args, "--output-dir", str(self.output_dir)]
        self.command = torchrun_command(nproc, self.train_args)
        self.env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONUNBUFFERED": "1", **(env or {})}
        self.process: subprocess.Popen[str] | None = None
        self.tail: deque[str] = deque(maxlen=60)
        self._log: Any = None

    @property
    def log_path(self) -> Path:
        return self.output_dir / LOG_FILE

    def start(self) -> LocalRun:
        self.output_dir.mkdir(parents=True, exist_ok=True)
        (self.output_dir / SUMMARY_FILE).unlink(missing_ok=True)  # never report a stale run
        self._log = open(self.log_path, "a")  # noqa: SIM115 (open until wait())
        self._log.write(f"$ {' '.join(self.command)}\n")
        self._log.flush()
        # Own session: a terminal's Ctrl-C reaches only us; we turn it into SIGTERM (checkpoint).
        self.process = subprocess.Popen(
            self.command,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
            bufsize=1,
            env=self.env,
            start_new_session=True,
        )
        return self

    def events(self) -> Iterator[dict[str, Any]]:
        if self.process is None:
            self.start()
        assert self.process is not None and self.process.stdout is not None
        for line in self.process.stdout:
            if line.startswith(PROGRESS_PREFIX):
                try:
                    yield json.loads(line[len(PROGRESS_PREFIX) :])
                    continue
                except json.JSONDecodeError:
                    pass
            self._log.write(line)
            self._log.flush()

    def interrupt(self, sig: int = signal.SIGTERM) -> None:
        """What a spot notice does: torchrun forwards it, workers checkpoint and exit."""
        if self.process is not None and self.process.poll() is None:
            self.process.send_signal(sig)

    def kill(self) -> None:
        """SIGKILL the launcher and every worker at once: no chance to checkpoint."""
        import psutil

        if self.process is None or self.process.poll() is not None:
            return
        # torchrun puts each worker in its own session, so a process-group kill would miss them.
        tree = psutil.Process(self.process.pid).children(recursive=True)
        for p in [psutil.Process(self.process.pid), *tree]:
            with contextlib.suppress(psutil.NoSuchProcess):
                p.kill()

    def wait(self) -> dict[str, Any]:
        for _ in self.events():  # drain whatever the caller did not read
            pass
        assert self.process is not None
        rc = self.process.wait()
        self._log.close()
        self._read_tail()
        summary_path = self.output_dir / SUMMARY_FILE
        if not summary_path.is_file():
            raise LocalRunError(
                f"training failed (torchrun exit code {rc}); the workers' last lines "
                f"(full log: {self.log_path}):\n" + "".join(_worker_lines(list(self.tail)))
            )
        summary = json.loads(summary_path.read_text())
        summary["exit_code"] = rc
        summary["log_file"] = str(self.log_path.resolve())
        return summary

    def _read_tail(self) -> None:
        with open(self.log_path, errors="replace") as f:
            self.tail.extend(f)


def _worker_lines(lines: list[str], keep: int = 15) -> list[str]:
    """The workers' own last words, without torchrun's agent traceback that follows them."""
    for i, line in enumerate(lines):
        if "torch/distributed/elastic" in line or "torch.distributed.elastic" in line:
            lines = lines[:i]
            break
    return lines[-keep:] or ["(no output)\n"]


def run_local(
    nproc: int,
    train_args: Sequence[str],
    output_dir: Path,
    on_event: Callable[[dict[str, Any]], None] | None = None,
    env: dict[str, str] | None = None,
) -> dict[str, Any]:
    """Run to the end (or to an interruption) and return the summary.

    SIGTERM (timeout, CI, systemd) and SIGINT (Ctrl-C) sent to this process are
    forwarded to torchrun as SIGTERM, and this process keeps reading until the
    workers have checkpointed and written the summary: dying at once would also
    break rank 0's progress pipe before its stop checkpoint. The summary's
    `signal` names what arrived. Raises `LocalRunError` with the log's tail when
    no summary was written.
    """
    run = LocalRun(nproc, train_args, output_dir, env=env).start()
    received: list[int] = []

    def forward(signum: int, _frame: Any) -> None:
        received.append(signum)
        run.interrupt()

    previous = {}
    if threading.current_thread() is threading.main_thread():  # signals reach the main thread
        previous = {s: signal.signal(s, forward) for s in (signal.SIGTERM, signal.SIGINT)}
    try:
        for event in run.events():
            if on_event is not None:
                on_event(event)
    finally:
        for s, handler in previous.items():
            signal.signal(s, handler)
    summary = run.wait()
    if received:
        summary["signal"] = signal.Signals(received[0]).name
    return summary
