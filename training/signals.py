"""SIGTERM as a request: finish the current step, checkpoint, exit 0.

Spot and preemptible capacity announces the end with SIGTERM (AWS gives two
minutes, GCP and Azure about thirty seconds); torchrun forwards it to every
worker. Stopping inside a step would lose it, so the handler only sets a flag
that the training loop reads at each step boundary.
"""

from __future__ import annotations

import signal
import types


class StopRequest:
    def __init__(self) -> None:
        self.signal: int | None = None

    @property
    def requested(self) -> bool:
        return self.signal is not None

    def _handle(self, signum: int, _frame: types.FrameType | None) -> None:
        self.signal = signum

    def install(self, signals: tuple[int, ...] = (signal.SIGTERM,)) -> StopRequest:
        for s in signals:
            signal.signal(s, self._handle)
        return self
