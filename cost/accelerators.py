"""Cloud-neutral accelerator kinds: the names a `PlatformSpec` may use.

Which instance or machine type carries an accelerator on each cloud, in which
region and at what price, is the catalog's business (`cost.catalog`); this
module only names the kinds and what is true of them everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Accelerator:
    name: str
    kind: Literal["gpu", "tpu"]
    memory_gib: float
    """Memory per device (per chip for TPUs), nominal vendor figure."""


_ALL = [
    Accelerator("H200", "gpu", 141),
    Accelerator("H100", "gpu", 80),
    Accelerator("B200", "gpu", 180),
    Accelerator("A100", "gpu", 40),
    Accelerator("A100-80GB", "gpu", 80),
    Accelerator("L40S", "gpu", 48),
    Accelerator("L4", "gpu", 24),
    Accelerator("A10G", "gpu", 24),
    Accelerator("A10", "gpu", 24),
    Accelerator("T4", "gpu", 16),
    Accelerator("V100", "gpu", 16),
    Accelerator("V100-32GB", "gpu", 32),
    Accelerator("TPU-v4", "tpu", 32),
    Accelerator("TPU-v5e", "tpu", 16),
    Accelerator("TPU-v5p", "tpu", 95),
    Accelerator("TPU-v6e", "tpu", 32),
]

ACCELERATORS: dict[str, Accelerator] = {a.name: a for a in _ALL}
GPU_NAMES = tuple(a.name for a in _ALL if a.kind == "gpu")
TPU_NAMES = tuple(a.name for a in _ALL if a.kind == "tpu")


def is_tpu(name: str | None) -> bool:
    return name is not None and name in ACCELERATORS and ACCELERATORS[name].kind == "tpu"
