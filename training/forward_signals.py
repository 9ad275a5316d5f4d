"""Run a command and pass stop signals on to it: the entry a container's PID 1 `exec`s.

    exec python3 -m training.forward_signals torchrun --nnodes=1 ... training/train.py ...

SageMaker stops a job (StopTrainingJob, a spot interruption) with SIGTERM to
the container's PID 1 and SIGKILL after the grace period. PID 1 is the shell
running the SDK's `sm_train.sh`, and the kernel drops every signal sent to a
PID namespace's init process that has no handler for it; bash installs none, so
the workers never heard the notice and lost up to `--ckpt-every` steps. This
module, exec'd in the shell's place, becomes PID 1: it handles SIGTERM and
SIGINT, sends SIGTERM (the training code's stop request) to the command's
process group, waits for it to checkpoint and exit, and exits with its status.
As PID 1 it also reaps the orphans that init must reap.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Sequence
from typing import Any

FORWARDED = (signal.SIGTERM, signal.SIGINT)


def run(command: Sequence[str]) -> int:
    """Start `command` in its own process group, forward stop signals, return its exit code."""
    received: list[int] = []
    child: subprocess.Popen[bytes] | None = None

    def forward(signum: int, _frame: Any) -> None:
        received.append(signum)
        if child is not None:
            _stop(child.pid)

    # Handlers first: a notice that arrives while the child starts is forwarded right after.
    for s in FORWARDED:
        signal.signal(s, forward)
    child = subprocess.Popen(list(command), start_new_session=True)
    if received:
        _stop(child.pid)
    while True:
        # waitpid(-1): the child's status, and any orphan reparented to us when we are PID 1.
        pid, status = os.waitpid(-1, 0)
        if pid == child.pid:
            code = os.waitstatus_to_exitcode(status)
            return 128 - code if code < 0 else code  # killed by signal N: the shell's 128+N


def _stop(pgid: int) -> None:
    # SIGTERM also for SIGINT: the training code checkpoints on SIGTERM (training.signals);
    # torchrun passes it on to workers it starts in sessions of their own.
    with contextlib.suppress(ProcessLookupError):  # already gone: its status comes next
        os.killpg(pgid, signal.SIGTERM)


def main(argv: Sequence[str] | None = None) -> int:
    command = list(sys.argv[1:] if argv is None else argv)
    if command[:1] == ["--"]:
        command = command[1:]
    if not command:
        print("usage: python -m training.forward_signals COMMAND [ARG...]", file=sys.stderr)
        return 2
    return run(command)


if __name__ == "__main__":
    sys.exit(main())
