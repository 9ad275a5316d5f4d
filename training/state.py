"""Everything a restarted job needs to continue bit for bit: one object, one dict.

`TrainState` holds the model, optimizer, schedule, the data position and every
process's random streams. `state_dict()` is what a checkpoint stores (the same
keys the checkpoints have always had, so older checkpoints still load);
`load_state_dict()` puts it back.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
from torch import nn

from training import data, distributed
from training.distributed import DistEnv

log = logging.getLogger("pioneer.state")


def seed_everything(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def rng_state(device: torch.device) -> dict[str, Any]:
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if device.type == "cuda" else None,
    }


def set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if state.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


@dataclass
class TrainState:
    model: nn.Module
    optimizer: torch.optim.Optimizer
    scheduler: torch.optim.lr_scheduler.LRScheduler
    sampler: data.ResumableSampler
    env: DistEnv
    device: torch.device
    step: int = 0
    epoch: int = 0
    position: int = 0  # samples of `epoch` this rank has consumed
    last_loss: float | None = None
    mlflow_run_id: str | None = None
    energy_total: dict[str, float] | None = None  # kWh and kg of the job up to the last save

    def state_dict(self, extra: dict[str, Any] | None = None) -> dict[str, Any]:
        """Collective: every rank calls it, because it gathers every rank's RNG state."""
        rngs = distributed.gather_objects(rng_state(self.device), self.env)
        return {
            "model": self.model.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "scheduler": self.scheduler.state_dict(),
            "step": self.step,
            "epoch": self.epoch,
            "position": self.position,
            "rng": rngs,
            "last_loss": self.last_loss,
            "mlflow_run_id": self.mlflow_run_id,
            "world_size": self.env.world_size,
            "energy_total": self.energy_total,
            **(extra or {}),
        }

    def load_state_dict(self, state: dict[str, Any]) -> None:
        # load_state_dict moves weights to the parameters' device; RNG states stay on the CPU.
        self.model.load_state_dict(state["model"])
        self.optimizer.load_state_dict(state["optimizer"])
        self.scheduler.load_state_dict(state["scheduler"])
        self.step, self.epoch, self.position = state["step"], state["epoch"], state["position"]
        self.last_loss = state.get("last_loss")
        self.mlflow_run_id = state.get("mlflow_run_id")
        self.energy_total = state.get("energy_total")
        rngs = state["rng"]
        if len(rngs) == self.env.world_size:
            set_rng_state(rngs[self.env.rank])
        else:
            log.warning(
                "checkpoint was written by %d processes, this job has %d: RNG streams "
                "restart (the run continues, but not bit-identically)",
                len(rngs),
                self.env.world_size,
            )
