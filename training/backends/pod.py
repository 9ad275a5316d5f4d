"""The training pod's security context and size: what the workload policy rules check
(components/policy/workloads.py), the same on EKS, GKE and AKS.

Sizing: one training pod per node takes the node's catalog vCPU and memory minus a
reserve for the kubelet (GKE's kube-reserved tiers, the largest of the three clouds'),
the eviction threshold, and the daemon sets and sidecars every platform node runs
(CNI, kube-proxy, device plugins, log agents, the GCS FUSE sidecar). Requests equal
limits: the pod is Guaranteed, the last to be evicted under memory pressure.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from cost.catalog import CatalogError, get_catalog

TRAINER_UID = 10001
"""The image's numeric user (training/Dockerfile `USER`)."""
SECCOMP = {"type": "RuntimeDefault"}
POD_SECURITY_CONTEXT: dict[str, Any] = {
    "runAsNonRoot": True,
    "runAsUser": TRAINER_UID,
    "runAsGroup": TRAINER_UID,
    "fsGroup": TRAINER_UID,
    "seccompProfile": SECCOMP,
}
CONTAINER_SECURITY_CONTEXT: dict[str, Any] = {
    "runAsNonRoot": True,
    "runAsUser": TRAINER_UID,
    "allowPrivilegeEscalation": False,
    "privileged": False,
    "capabilities": {"drop": ["ALL"]},
    "seccompProfile": SECCOMP,
    "readOnlyRootFilesystem": True,
}
# Daemon sets and sidecars beside the training pod on every node, and the eviction threshold.
DAEMON_CPU = 1.5
DAEMON_MEMORY_GIB = 3.0
EVICTION_MEMORY_GIB = 1.0
# GKE's kube-reserved: (size of the tier, share reserved) for CPU cores and memory GiB.
CPU_TIERS = ((1, 0.06), (1, 0.01), (2, 0.005), (math.inf, 0.0025))
MEMORY_TIERS = ((4, 0.25), (4, 0.20), (8, 0.10), (112, 0.06), (math.inf, 0.02))


class SizingError(ValueError):
    pass


def _tiered(total: float, tiers: tuple[tuple[float, float], ...]) -> float:
    reserved, left = 0.0, total
    for size, share in tiers:
        part = min(left, size)
        reserved += part * share
        left -= part
        if left <= 0:
            break
    return reserved


def instance_type(pool: Mapping[str, Any]) -> str | None:
    """The pool's node type, whichever cloud's output key carries it."""
    for key in ("instance_type", "machine_type", "vm_size"):
        if pool.get(key):
            return str(pool[key])
    types = pool.get("instance_types") or []
    return str(types[0]) if types else None


def allocatable(vcpus: float, memory_gib: float) -> tuple[int, int]:
    """(whole CPUs, GiB) a training pod may request on a node of that size."""
    cpu = vcpus - _tiered(vcpus, CPU_TIERS) - DAEMON_CPU
    memory = (
        memory_gib - _tiered(memory_gib, MEMORY_TIERS) - EVICTION_MEMORY_GIB - DAEMON_MEMORY_GIB
    )
    return max(1, math.floor(cpu)), max(1, math.floor(memory))


def resources(cloud: str, region: str, pool: Mapping[str, Any]) -> dict[str, str]:
    """``{"cpu": "190", "memory": "1997Gi"}`` for the pool's node type, from the catalog."""
    name = pool.get("pool") or pool.get("name")
    itype = instance_type(pool)
    if itype is None:
        raise SizingError(
            f"pool {name!r}: the stack outputs name no instance type (instance_types, "
            "machine_type or vm_size); cannot size the pod"
        )
    try:
        offer = get_catalog().offer(cloud, region, itype)
    except CatalogError as e:
        raise SizingError(f"pool {name!r}: cannot size the pod: {e}") from None
    cpu, memory = allocatable(offer.vcpus, offer.memory_gib)
    return {"cpu": str(cpu), "memory": f"{memory}Gi"}
