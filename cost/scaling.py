"""Eq. 1: data-parallel training time on N accelerators, and its efficiency eta(N).

    t_c        = F_step / (F_peak * MFU)                   one step of compute on one device
    t_ar(N)    = 2 (N-1)/N * G / B(N)                      ring all-reduce of the gradients
    t_step(N)  = t_c/N + t_ar(N) - min(t_ar(N), phi * t_c/N)   (phi: overlappable fraction)
    eta(N)     = (t_c/N) / t_step(N)
    T(N)       = S * t_step(N)   with S = tokens / global_batch_tokens steps

F_step = 6 P b FLOPs per step (P parameters, b tokens per global batch); G = P x bytes per
gradient; B(N) is the bus bandwidth of the slowest link the ring crosses: NVLink/PCIe
inside one node, the node's network (EFA / GPUDirect / InfiniBand) across nodes. The
figures below are vendor nominal numbers reduced to what NCCL typically achieves; they
are estimates to rank plans, not measurements.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Dense BF16/FP16 tensor throughput per device, TFLOP/s (vendor data sheets).
PEAK_TFLOPS: dict[str, float] = {
    "B200": 2250,
    "H200": 989,
    "H100": 989,
    "A100": 312,
    "A100-80GB": 312,
    "L40S": 362,
    "L4": 121,
    "A10G": 70,
    "A10": 125,
    "T4": 65,
    "V100": 125,
    "V100-32GB": 125,
    "TPU-v4": 275,
    "TPU-v5e": 197,
    "TPU-v5p": 459,
    "TPU-v6e": 918,
}

# Achievable all-reduce bus bandwidth inside one node, GB/s (NVLink generation or PCIe).
INTRA_NODE_GBPS: dict[str, float] = {
    "B200": 800,
    "H200": 400,
    "H100": 400,
    "A100": 230,
    "A100-80GB": 230,
    "V100": 120,
    "V100-32GB": 120,
    "L40S": 20,
    "L4": 12,
    "A10G": 12,
    "A10": 12,
    "T4": 8,
    "TPU-v4": 150,
    "TPU-v5e": 100,
    "TPU-v5p": 300,
    "TPU-v6e": 200,
}

# Network bandwidth per node across nodes, GB/s, by instance-family prefix (longest match
# wins). E.g. p5 = 3200 Gbit/s EFA, p4d = 400 Gbit/s, A3 High = 8 x 200 Gbit/s,
# ND H100 v5 = 8 x 400 Gbit/s InfiniBand. Unknown families: 25 Gbit/s Ethernet.
INTER_NODE_GBPS: dict[str, float] = {
    "p6": 400,
    "p5": 400,
    "p5en": 400,
    "p4d": 50,
    "p4de": 50,
    "p3dn": 12.5,
    "p3": 3.1,
    "g6e": 50,
    "g6": 12.5,
    "g5": 12.5,
    "g4dn": 6.25,
    "a3-mega": 200,
    "a3-ultra": 400,
    "a3-high": 200,
    "a3-edge": 100,
    "a2": 12.5,
    "g2": 12.5,
    "ct": 100,  # TPU slices: inter-host traffic rides ICI/DCN; treat as fast
    "Standard_ND96": 400,
    "Standard_ND40": 12.5,
    "Standard_NC": 5,
    "Standard_NV": 3.1,
}
DEFAULT_INTER_NODE_GBPS = 3.1

# Fabrics in the table above that pioneer's clusters do not set up, so a multi-node job
# gets the host NIC instead: GB/s it really gets, and why. (AWS p4d/p5 get EFA:
# components/aws/interconnect.py.) Host NIC figures: GCP "GPU machine types" network
# bandwidth tables (A3 High primary gVNIC 100 Gbit/s, A3 Mega/Ultra 200 Gbit/s), Azure
# "ND A100 v4 / ND H100 v5 series" expected network bandwidth (24 / 80 Gbit/s); 2026-12.
NOT_PROVISIONED: dict[str, tuple[float, str]] = {
    "a3-high": (12.5, "GPUDirect-TCPX (4 extra GPU NIC networks, the TCPX NCCL plugin) is not "
                "provisioned by pioneer's GKE pools: all-reduce runs on the 100 Gbit/s gVNIC"),
    "a3-mega": (25, "GPUDirect-TCPXO (8 extra GPU NIC networks, the TCPXO NCCL plugin) is not "
                "provisioned by pioneer's GKE pools: all-reduce runs on the 200 Gbit/s gVNIC"),
    "a3-ultra": (25, "GPUDirect-RDMA (the RoCE VPC and NICs) is not provisioned by pioneer's GKE "
                 "pools: all-reduce runs on the 200 Gbit/s gVNIC"),
    "Standard_ND96isr_H100_v5": (10, "InfiniBand on AKS needs the NVIDIA Network Operator (OFED "
                                 "driver, RDMA device plugin), not installed by pioneer: "
                                 "all-reduce runs on the 80 Gbit/s Ethernet NIC"),
    "Standard_ND96a": (3, "InfiniBand on AKS needs the NVIDIA Network Operator (OFED driver, RDMA "
                       "device plugin), not installed by pioneer: all-reduce runs on the "
                       "24 Gbit/s Ethernet NIC"),
}  # fmt: skip


def _longest_prefix(instance_type: str, table: dict[str, object]) -> str:
    return max((p for p in table if instance_type.startswith(p)), key=len, default="")


def fabric_note(instance_type: str) -> str | None:
    """Why a multi-node job on this type gets less than its fabric's bandwidth (None: it gets it)."""
    best = _longest_prefix(instance_type, NOT_PROVISIONED)  # type: ignore[arg-type]
    return NOT_PROVISIONED[best][1] if best else None


def inter_node_gbps(instance_type: str) -> float:
    """Bandwidth per node across nodes on the cluster pioneer provisions (not the brochure's)."""
    unprovisioned = _longest_prefix(instance_type, NOT_PROVISIONED)  # type: ignore[arg-type]
    if unprovisioned:
        return NOT_PROVISIONED[unprovisioned][0]
    best = _longest_prefix(instance_type, INTER_NODE_GBPS)  # type: ignore[arg-type]
    return INTER_NODE_GBPS[best] if best else DEFAULT_INTER_NODE_GBPS


def link_gbps(accelerator: str, instance_type: str, nodes: int) -> float:
    """B(N): the bus bandwidth of the ring, limited by its slowest link."""
    intra = INTRA_NODE_GBPS.get(accelerator, 12.0)
    return intra if nodes <= 1 else min(intra, inter_node_gbps(instance_type))


@dataclass(frozen=True)
class ScalingInputs:
    """Eq. 1's workload side: what one step computes and communicates."""

    flops_per_step: float  # 6 P b
    gradient_bytes: float  # G = P x bytes per gradient element
    steps: float  # S
    mfu: float = 0.4  # model FLOPs utilisation on one device
    overlap: float = 0.5  # phi: share of compute the all-reduce can hide behind


def step_seconds(inp: ScalingInputs, peak_tflops, accelerators, bus_gbps):
    """t_step(N) and eta(N); numpy-vectorised over plans (arrays broadcast)."""
    n = np.asarray(accelerators, dtype=float)
    t_c = inp.flops_per_step / (np.asarray(peak_tflops, dtype=float) * 1e12 * inp.mfu)
    compute = t_c / n
    comm = 2 * (n - 1) / n * inp.gradient_bytes / (np.asarray(bus_gbps, dtype=float) * 1e9)
    hidden = np.minimum(comm, inp.overlap * compute)
    step = compute + comm - hidden
    return step, compute / step


def training_hours(
    inp: ScalingInputs, accelerator: str, instance_type: str, accelerators_per_node: int, nodes: int
) -> tuple[float, float]:
    """T(N) in hours and eta(N) for one plan (the scalar form of `step_seconds`)."""
    peak = PEAK_TFLOPS.get(accelerator)
    if peak is None:
        raise ValueError(
            f"accelerator: {accelerator!r} has no throughput figure; "
            f"known: {', '.join(PEAK_TFLOPS)}"
        )
    n = accelerators_per_node * nodes
    step, eta = step_seconds(inp, peak, n, link_gbps(accelerator, instance_type, nodes))
    return float(step * inp.steps / 3600), float(eta)
