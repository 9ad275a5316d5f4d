"""Cloud-neutral accelerator kinds: the names a `PlatformSpec` may use.

Which instance or machine type carries an accelerator on each cloud, in which
region and at what price, is the catalog's business (`cost.catalog`); this
module holds what is true of each kind everywhere: memory, peak throughput by
dtype, intra-node bandwidth (the scaling model and the spec read them here).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Literal


@dataclass(frozen=True)
class Accelerator:
    name: str
    kind: Literal["gpu", "tpu"]
    memory_gib: float
    """Memory per device (per chip for TPUs), nominal vendor figure."""
    peak_tflops: Mapping[str, float]
    """Dense tensor throughput per device by dtype, TFLOP/s (vendor data sheets)."""
    intra_node_gbps: float
    """Achievable all-reduce bus bandwidth inside one node, GB/s (NVLink generation or PCIe),
    reduced from the vendor figure to what NCCL typically achieves."""


_ALL = [
    Accelerator("H200", "gpu", 141, peak_tflops={"bf16": 989}, intra_node_gbps=400),
    Accelerator("H100", "gpu", 80, peak_tflops={"bf16": 989}, intra_node_gbps=400),
    Accelerator("B200", "gpu", 180, peak_tflops={"bf16": 2250}, intra_node_gbps=800),
    Accelerator("A100", "gpu", 40, peak_tflops={"bf16": 312}, intra_node_gbps=230),
    Accelerator("A100-80GB", "gpu", 80, peak_tflops={"bf16": 312}, intra_node_gbps=230),
    Accelerator("L40S", "gpu", 48, peak_tflops={"bf16": 362}, intra_node_gbps=20),
    Accelerator("L4", "gpu", 24, peak_tflops={"bf16": 121}, intra_node_gbps=12),
    Accelerator("A10G", "gpu", 24, peak_tflops={"bf16": 70}, intra_node_gbps=12),
    Accelerator("A10", "gpu", 24, peak_tflops={"bf16": 125}, intra_node_gbps=12),
    Accelerator("T4", "gpu", 16, peak_tflops={"bf16": 65}, intra_node_gbps=8),
    Accelerator("V100", "gpu", 16, peak_tflops={"bf16": 125}, intra_node_gbps=120),
    Accelerator("V100-32GB", "gpu", 32, peak_tflops={"bf16": 125}, intra_node_gbps=120),
    Accelerator("TPU-v4", "tpu", 32, peak_tflops={"bf16": 275}, intra_node_gbps=150),
    Accelerator("TPU-v5e", "tpu", 16, peak_tflops={"bf16": 197}, intra_node_gbps=100),
    Accelerator("TPU-v5p", "tpu", 95, peak_tflops={"bf16": 459}, intra_node_gbps=300),
    Accelerator("TPU-v6e", "tpu", 32, peak_tflops={"bf16": 918}, intra_node_gbps=200),
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


def peak_tflops(name: str, dtype: str = "bf16") -> float | None:
    """Dense throughput of one device in TFLOP/s, or None for an unknown accelerator."""
    a = ACCELERATORS.get(name)
    return a.peak_tflops.get(dtype) if a else None
