"""From command-line choices and a stack's spec to a `TrainingJob` for a managed backend."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Literal

from components.spec import NodePool, PlatformSpec
from training.backends import BACKEND_CLOUD
from training.job import TrainingJob


def default_stack(backend: str) -> str:
    """The dev stack of the backend's cloud (kubernetes runs on any; AWS's by default)."""
    return f"{BACKEND_CLOUD.get(backend, 'aws')}-dev"


def pick_pool(spec: PlatformSpec, name: str | None) -> NodePool | None:
    """The named pool, else the first spot accelerator pool, else the first accelerator pool."""
    pools = spec.node_pools
    if name is not None:
        for pool in pools:
            if pool.name == name:
                return pool
        raise ValueError(
            f"--pool: {name!r} is not a node pool of this stack; pools: "
            f"{', '.join(p.name for p in pools) or 'none'}"
        )
    accelerated = [p for p in pools if p.accelerator is not None]
    return next((p for p in accelerated if p.spot), accelerated[0] if accelerated else None)


def build_job(
    *,
    backend: str,
    spec: PlatformSpec | None,
    train_args: Sequence[str],
    pool: str | None = None,
    nodes: int = 1,
    capacity: Literal["spot", "on_demand"] | None = None,
    image: str | None = None,
    name: str | None = None,
) -> TrainingJob:
    """The job: accelerator and per-node count from the chosen pool, capacity from the pool
    unless `capacity` overrides it."""
    if nodes < 1:
        raise ValueError(f"--nodes must be >= 1, got {nodes}")
    chosen = pick_pool(spec, pool) if spec is not None else None
    cap = capacity or ("spot" if chosen is None or chosen.spot else "on_demand")
    job = TrainingJob(
        name=name or f"pioneer-{_model(train_args)}",
        args=tuple(train_args),
        nodes=nodes,
        capacity=cap,
        image=image,
        pool=chosen.name if chosen else pool,
    )
    if chosen is not None and chosen.accelerator is not None:
        job = replace(
            job,
            accelerator=chosen.accelerator,
            accelerators_per_node=max(1, chosen.accelerators_per_node),
        )
    return job


def _model(args: Sequence[str]) -> str:
    for i, a in enumerate(args):
        if a == "--model" and i + 1 < len(args):
            return args[i + 1]
    return "digits"
