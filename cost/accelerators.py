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


_BY_LOWER = {name.lower(): name for name in ACCELERATORS}


def canonical(name: str) -> str | None:
    """The accelerator's name as the catalog spells it, whatever the case (`h100` -> `H100`)."""
    return _BY_LOWER.get(name.strip().lower()) if isinstance(name, str) else None


def parse_accelerator(text: str) -> tuple[str, int | None]:
    """`H100`, `h100` or SkyPilot's `A100:8` -> (name, count or None).

    Raises ValueError naming the allowed names (or the count's rule).
    """
    if not isinstance(text, str):
        raise ValueError(f"{text!r} is not one of {', '.join(ACCELERATORS)}")
    name, sep, count = text.partition(":")
    found = canonical(name)
    if found is None:
        raise ValueError(f"{name.strip()!r} is not one of {', '.join(ACCELERATORS)}")
    if not sep:
        return found, None
    if not count.strip().isdigit() or int(count) < 1:
        raise ValueError(f"{text!r}: the count after ':' must be a whole number >= 1 (A100:8)")
    return found, int(count)
