"""Resume, periodic saves, pruning and the remote mirror behind two calls.

    ckpts = CheckpointManager(ckpt_dir, keep=3, every=50, sync_uri=None, env=env)
    resumed_from = ckpts.restore(state)    # step restored, or None on a fresh start
    ckpts.save(state)                      # collective; rank 0 writes, prunes, pushes

The on-disk format (atomic files, manifest last, keep-K) is training.checkpoint;
the S3 mirror is training.remote_checkpoints. This class decides who does what:
each machine pulls once, rank 0 chooses the checkpoint and every rank loads
that one, rank 0 alone writes and uploads.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from training import checkpoint, distributed, remote_checkpoints
from training.distributed import DistEnv
from training.state import TrainState

log = logging.getLogger("pioneer.checkpoint")


class CheckpointManager:
    def __init__(
        self, ckpt_dir: Path, *, keep: int, every: int, sync_uri: str | None, env: DistEnv
    ):
        self.ckpt_dir, self.keep, self.every, self.env = ckpt_dir, keep, every, env
        self.remote: remote_checkpoints.RemoteCheckpoints | None = None
        if sync_uri and env.is_local_main:
            self.remote = remote_checkpoints.RemoteCheckpoints(sync_uri, ckpt_dir, keep)
        self._sync = bool(sync_uri)

    def due(self, step: int, last: bool) -> bool:
        return last or step % self.every == 0

    def restore(self, state: TrainState) -> int | None:
        """Load the newest complete checkpoint into `state`; its step, or None if there is none."""
        if self._sync:
            # One download per machine (each node resumes from its own local --ckpt-dir), before
            # rank 0 chooses the newest local checkpoint.
            if self.remote is not None:
                self.remote.pull()
            distributed.barrier(self.env)
        # Rank 0 chooses (and verifies), every rank loads that one: no rank may pick another
        # step, and hashing a large file once is enough.
        found = checkpoint.latest(self.ckpt_dir) if self.env.is_main else None
        chosen = distributed.broadcast_object(found, self.env)
        if not isinstance(chosen, checkpoint.Checkpoint):
            log.info("no checkpoint in %s: starting at step 0", self.ckpt_dir)
            return None
        state.load_state_dict(checkpoint.load(chosen, map_location="cpu"))
        log.info("resumed from step %d (%s)", state.step, chosen.data)
        return state.step

    def save(self, state: TrainState, extra: dict[str, Any] | None = None) -> None:
        """Collective. Returns after the upload too: the SIGTERM save relies on it."""
        doc = state.state_dict(extra)
        if not self.env.is_main:
            return
        saved = checkpoint.save(self.ckpt_dir, state.step, doc, keep=self.keep)
        log.info("checkpoint at step %d -> %s", state.step, self.ckpt_dir)
        if self.remote is not None:
            self.remote.push(saved)
