"""Process-group setup from the torchrun environment, and the device/precision choice.

Only the five variables torchrun documents are read: RANK, LOCAL_RANK,
WORLD_SIZE, MASTER_ADDR, MASTER_PORT. Vertex AI sets RANK and WORLD_SIZE per
*node*; that is why its container command runs torchrun, which overwrites them
with per-process values before this code sees them. Without the variables the
script runs as one plain process (a laptop, a notebook, a debugger).
"""

from __future__ import annotations

import inspect
import os
from collections.abc import Mapping
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from typing import Any

import torch
import torch.distributed as dist

ENV_VARS = ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT")


class DistEnvError(ValueError):
    pass


@dataclass(frozen=True)
class DistEnv:
    rank: int = 0
    local_rank: int = 0
    world_size: int = 1
    master_addr: str | None = None
    master_port: int | None = None

    @property
    def distributed(self) -> bool:
        return self.world_size > 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def is_local_main(self) -> bool:
        """One process per machine: the one that measures the machine's energy."""
        return self.local_rank == 0


def _int(environ: Mapping[str, str], key: str, default: int, minimum: int) -> int:
    raw = environ.get(key)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise DistEnvError(f"{key}={raw!r} is not an integer") from None
    if value < minimum:
        raise DistEnvError(f"{key}={value} must be >= {minimum}")
    return value


def read_env(environ: Mapping[str, str] | None = None) -> DistEnv:
    """The process's place in the job; a single process when the variables are absent."""
    env = os.environ if environ is None else environ
    world = _int(env, "WORLD_SIZE", 1, 1)
    rank = _int(env, "RANK", 0, 0)
    local = _int(env, "LOCAL_RANK", rank if world == 1 else 0, 0)
    if rank >= world:
        raise DistEnvError(f"RANK={rank} must be < WORLD_SIZE={world}")
    port = _int(env, "MASTER_PORT", 0, 1) or None
    addr = env.get("MASTER_ADDR") or None
    if world > 1 and (addr is None or port is None):
        raise DistEnvError(
            f"WORLD_SIZE={world} needs MASTER_ADDR and MASTER_PORT (run under torchrun)"
        )
    return DistEnv(
        rank=rank, local_rank=local, world_size=world, master_addr=addr, master_port=port
    )


def pick_device(env: DistEnv) -> torch.device:
    if torch.cuda.is_available():
        return torch.device("cuda", env.local_rank % torch.cuda.device_count())
    return torch.device("cpu")


def init(env: DistEnv, device: torch.device) -> None:
    """Join the process group: NCCL between GPUs, gloo on CPU. No-op for one process."""
    if not env.distributed:
        return
    if device.type == "cuda":
        torch.cuda.set_device(device)
    backend = "nccl" if device.type == "cuda" else "gloo"
    extra: dict[str, Any] = {}
    # device_id (eager NCCL init) exists from torch 2.3; older images (Azure ML's ACPT 2.2,
    # training.images) would raise TypeError on it.
    if (
        device.type == "cuda"
        and "device_id" in inspect.signature(dist.init_process_group).parameters
    ):
        extra["device_id"] = device
    # env:// reads MASTER_ADDR/PORT, RANK and WORLD_SIZE itself.
    dist.init_process_group(
        backend=backend, init_method="env://", rank=env.rank, world_size=env.world_size, **extra
    )


def shutdown(env: DistEnv) -> None:
    if env.distributed and dist.is_initialized():
        dist.destroy_process_group()


def bf16_supported(device: torch.device) -> bool:
    return device.type == "cuda" and torch.cuda.is_bf16_supported()


def autocast(device: torch.device, enabled: bool = True) -> AbstractContextManager[object]:
    """bf16 autocast on GPUs that have it; full fp32 elsewhere (CPU results stay bit-exact)."""
    if enabled and bf16_supported(device):
        return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
    return nullcontext()


def all_ranks_agree(flag: bool, env: DistEnv, device: torch.device) -> bool:
    """True on every rank if it is true on any (a SIGTERM may reach ranks at different steps)."""
    if not env.distributed:
        return flag
    t = torch.tensor([1.0 if flag else 0.0], device=device)
    dist.all_reduce(t, op=dist.ReduceOp.MAX)
    return bool(t.item() > 0)


def sum_over_ranks(value: float, env: DistEnv, device: torch.device) -> float:
    if not env.distributed:
        return value
    t = torch.tensor([value], dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return float(t.item())


def sum_vector_over_ranks(values: list[float], env: DistEnv, device: torch.device) -> list[float]:
    """Element-wise sums over ranks, in one collective."""
    if not env.distributed:
        return list(values)
    t = torch.tensor(values, dtype=torch.float64, device=device)
    dist.all_reduce(t, op=dist.ReduceOp.SUM)
    return [float(v) for v in t.tolist()]


def gather_objects(obj: object, env: DistEnv) -> list[object]:
    if not env.distributed:
        return [obj]
    out: list[object] = [None] * env.world_size
    dist.all_gather_object(out, obj)
    return out


def broadcast_object(obj: object, env: DistEnv) -> object:
    if not env.distributed:
        return obj
    box = [obj]
    dist.broadcast_object_list(box, src=0)
    return box[0]


def barrier(env: DistEnv) -> None:
    if env.distributed:
        dist.barrier()
