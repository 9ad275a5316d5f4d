"""PID 1 of a training pod: torchrun, stopped the way the cloud's notice allows.

    python -m training.launch --shutdown-timeout 120 -- torchrun --nnodes 2 ... training/train.py

On SIGTERM torchrun forwards the signal to its workers and SIGKILLs them 30 s
later; before torch 2.12 that 30 s is fixed (`--shutdown-timeout` and
TORCH_ELASTIC_SHUTDOWN_TIMEOUT came then), and every image pioneer runs carries
an older torch. So this launcher takes the signal instead: it sends it to the
workers (torchrun's children) and leaves torchrun alone, whose timer then never
starts; the workers checkpoint at their next step boundary and exit, torchrun
returns, and so does this. After ``--shutdown-timeout`` seconds (the cloud's
notice: the machine is gone after that anyway) it kills what is left.

The exit status is torchrun's, or 128 + the signal after a stop — never 0, so a
stopped job is restarted from its checkpoint (JobSet's failure policy), not
counted as complete.
"""

from __future__ import annotations

import argparse
import contextlib
import logging
import signal
import subprocess
import sys
import types
from typing import Any

log = logging.getLogger("pioneer.launch")
POLL_SECONDS = 0.2
STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def _parse(argv: list[str] | None) -> tuple[float, list[str]]:
    p = argparse.ArgumentParser(prog="python -m training.launch", description=__doc__)
    p.add_argument(
        "--shutdown-timeout",
        type=float,
        required=True,
        help="seconds the workers get to checkpoint after a stop signal",
    )
    p.add_argument("command", nargs=argparse.REMAINDER, help="-- torchrun ...")
    args = p.parse_args(argv)
    command = args.command[1:] if args.command[:1] == ["--"] else args.command
    if not command:
        p.error("give the command to run after --, e.g. -- torchrun ... training/train.py")
    if args.shutdown_timeout < 0:
        p.error("--shutdown-timeout must be >= 0")
    return args.shutdown_timeout, command


def _children(pid: int) -> list[Any]:
    import psutil  # in training/requirements.txt; only a stopping pod needs it

    try:
        return list(psutil.Process(pid).children())
    except psutil.NoSuchProcess:
        return []


def _stop(child: subprocess.Popen[bytes], signum: int, timeout: float) -> int:
    workers = _children(child.pid)
    # Workers not started yet have nothing to checkpoint: then stop torchrun itself.
    for proc in workers or [child]:
        with contextlib.suppress(ProcessLookupError, OSError):  # exited meanwhile
            proc.send_signal(signum)
    log.warning(
        "signal %d: sent to %d worker(s); waiting up to %.0f s for their stop checkpoint",
        signum,
        len(workers),
        timeout,
    )
    try:
        child.wait(timeout=timeout)
    except subprocess.TimeoutExpired:
        log.error("workers still running after %.0f s: killing them", timeout)
        for proc in [*_children(child.pid), *workers]:
            with contextlib.suppress(Exception):  # psutil.NoSuchProcess: already gone
                proc.kill()
        child.kill()
        child.wait()
    return 128 + signum


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(stream=sys.stderr, level=logging.INFO, format="%(name)s: %(message)s")
    timeout, command = _parse(argv)
    received: list[int] = []

    def on_signal(signum: int, _frame: types.FrameType | None) -> None:
        received.append(signum)

    for s in STOP_SIGNALS:
        signal.signal(s, on_signal)
    try:
        child = subprocess.Popen(command)
    except OSError as e:
        print(f"error: cannot start {command[0]!r}: {e}", file=sys.stderr)
        return 127
    while not received:
        try:
            return child.wait(timeout=POLL_SECONDS)
        except subprocess.TimeoutExpired:
            continue
    return _stop(child, received[0], timeout)


if __name__ == "__main__":
    sys.exit(main())
