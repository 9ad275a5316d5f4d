"""`TrainingJob`: one description of a training run, submitted unchanged to every backend."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal


@dataclass(frozen=True)
class TrainingJob:
    """What to run and on what; backends map it to their service's request.

    The entry point is the shared, torchrun-compatible script in `training/`;
    the same arguments reach it on every backend.
    """

    name: str = "pioneer-train"
    entry_point: str = "training/train.py"
    source_dir: str = "."
    args: tuple[str, ...] = ()
    accelerator: str | None = "H100"
    accelerators_per_node: int = 8
    nodes: int = 1
    capacity: Literal["spot", "on_demand"] = "spot"
    max_run_hours: float = 24.0
    max_wait_hours: float = 48.0
    """How long to wait for spot capacity (SageMaker needs max_wait >= max_run)."""
    checkpoint_uri: str | None = None
    """Defaults to the platform bucket's `checkpoints/<name>/`."""
    output_uri: str | None = None
    environment: dict[str, str] = field(default_factory=dict)
    requirements: str | None = "training/requirements.txt"
    image: str | None = None
    """Container image; each backend has a sensible default (framework image for the region)."""
    pool: str | None = None
    """Kubernetes backend: the node pool to run on (default: the first spot GPU pool).
    Azure ML: the platform node pool whose compute cluster to use, or "serverless"."""
    tpu_topology: str | None = None
    """Vertex AI TPU slices: chip topology such as "2x2" (default: from the chip count)."""

    @property
    def spot(self) -> bool:
        return self.capacity == "spot"
