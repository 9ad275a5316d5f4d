"""How one spec node pool becomes a GKE node pool: machine type, accelerators, scaling.

Pure functions (no Pulumi resources) so the mapping is easy to test and to read.
Machine types for GPU/TPU pools come from the price catalog, cheapest first;
only the GKE accelerator *type names* (an API identifier, not a price fact)
are listed here.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from components.spec import NodePool, PlatformSpec, SpecError
from cost.catalog import DEFAULT_CPU_INSTANCE_TYPES, CatalogError, get_catalog

DEFAULT_CPU_MACHINE = DEFAULT_CPU_INSTANCE_TYPES["gcp"]
REGIONAL_ZONES = 3
"""Zones GKE spreads a regional cluster's node pools over by default."""

GKE_ACCELERATOR_TYPES = {
    "A100": "nvidia-tesla-a100",
    "A100-80GB": "nvidia-a100-80gb",
    "H100": "nvidia-h100-80gb",
    "H200": "nvidia-h200-141gb",
    "B200": "nvidia-b200",
    "L4": "nvidia-l4",
    "T4": "nvidia-tesla-t4",
    "V100": "nvidia-tesla-v100",
}
GPU_DRIVER_VERSION = "DEFAULT"
"""GKE installs the driver version it tested for the node's GKE version (LATEST: newest)."""
GPU_TAINT = ("nvidia.com/gpu", "present", "NO_SCHEDULE")
TPU_TAINT = ("google.com/tpu", "present", "NO_SCHEDULE")


@dataclass(frozen=True)
class PoolPlan:
    name: str
    machine_type: str
    capacity: str
    accelerator: str | None
    gke_accelerator: str | None
    accelerator_count: int
    tpu_topology: str | None
    autoscaling: tuple[int, int] | None
    """(total min, total max) nodes across zones; None: a fixed pool of `node_count`."""
    node_count: int | None
    initial_node_count: int | None
    """Per zone, as GKE counts it."""
    taint: tuple[str, str, str] | None
    k8s_labels: dict[str, str]
    disk_size_gb: int
    zones: tuple[str, ...] = ()
    """GKE node locations: the pool's zones, else those of the region that offer the
    machine (`node_locations`); empty: the cluster's zones."""

    def output(self, gke_name: object) -> dict[str, object]:
        """The stack output entry; `gke_name` is the node pool's name in GKE (autonamed)."""
        return {
            "name": gke_name,
            "pool": self.name,
            "capacity": self.capacity,
            "accelerator": self.accelerator,
            "accelerators_per_node": self.accelerator_count,
            "tpu_topology": self.tpu_topology,
            "machine_type": self.machine_type,
        }


def machine_type(pool: NodePool, region: str) -> str:
    if pool.instance_type:
        return pool.instance_type
    if pool.accelerator is None:
        return DEFAULT_CPU_MACHINE
    try:
        return get_catalog().instance_types(
            "gcp", region, pool.accelerator, pool.accelerators_per_node
        )[0]
    except CatalogError as e:  # the spec edge checks this too; keep the message if it slips
        raise SpecError([f"node_pools[{pool.name}].accelerator: {e}"]) from None


def node_locations(pool: NodePool, at: str, region: str, machine: str) -> tuple[str, ...]:
    """The zones the pool's nodes go to: the pool's own, else the zones of `region` that
    offer `machine` (the catalog's zone data); () where that data has nothing on it (CPU
    and TPU types: the cluster's zones). A region or zone that does not offer it is an error."""
    zones = get_catalog().zones("gcp", region, machine)
    if zones is None:
        return tuple(pool.zones)
    if not zones:
        regions = get_catalog().regions_with_zones("gcp", machine)
        raise SpecError(
            [
                f"{at}.accelerator: no zone of {region} offers {machine} (the price list "
                f"prices it there; cost/data/gcp_zones.csv); regions with a zone that does: "
                f"{', '.join(regions)}"
            ]
        )
    bad = [z for z in pool.zones if z not in zones]
    if bad:
        raise SpecError(
            [
                f"{at}.zones: {', '.join(bad)} {'does' if len(bad) == 1 else 'do'} not offer "
                f"{machine}; the zones of {region} that do: {', '.join(zones)}"
            ]
        )
    return tuple(pool.zones) or zones


def tpu_hosts(pool: NodePool, at: str) -> int:
    """Hosts in one slice of `tpu_topology` (1: single-host; more: a multi-host slice)."""
    chips = math.prod(int(d) for d in (pool.tpu_topology or "1").split("x"))
    per_node = pool.accelerators_per_node
    if per_node <= 0 or chips % per_node:
        raise SpecError(
            [
                f"{at}.tpu_topology: {pool.tpu_topology} has {chips} chips, not a "
                f"multiple of accelerators_per_node {per_node}"
            ]
        )
    hosts = chips // per_node
    # A multi-host slice is one atomic unit: the pool holds zero or exactly one slice.
    if hosts > 1 and pool.max_nodes not in (0, hosts):
        raise SpecError(
            [
                f"{at}.max_nodes: a {pool.tpu_topology} slice of {per_node}-chip hosts "
                f"is {hosts} nodes; max_nodes must be 0 or {hosts}"
            ]
        )
    return hosts


def plan_pool(pool: NodePool, index: int, spec: PlatformSpec) -> PoolPlan:
    at = f"node_pools[{index}]"
    gke_accel = None
    taint = None
    labels = {
        "pioneer.dev/pool": pool.name,
        "pioneer.dev/capacity": pool.capacity.replace("_", "-"),
    }
    if pool.is_gpu:
        gke_accel = GKE_ACCELERATOR_TYPES.get(pool.accelerator or "")
        if gke_accel is None:
            raise SpecError(
                [
                    f"{at}.accelerator: GKE node pools support "
                    f"{', '.join(GKE_ACCELERATOR_TYPES)}, not {pool.accelerator}"
                ]
            )
        taint = GPU_TAINT
    elif pool.is_tpu:
        tpu_hosts(pool, at)
        taint = TPU_TAINT
    if pool.accelerator:
        labels["pioneer.dev/accelerator"] = pool.accelerator.lower()
    machine = machine_type(pool, spec.region)
    zones = node_locations(pool, at, spec.region, machine)
    if pool.max_nodes == 0:
        # GKE's autoscaler needs max >= 1; a parked pool is a fixed pool of zero nodes.
        autoscaling, node_count, initial = None, 0, None
    else:
        autoscaling = (pool.min_nodes, pool.max_nodes)
        node_count = None
        initial = math.ceil(pool.initial_nodes / (len(zones) or REGIONAL_ZONES))
    return PoolPlan(
        name=pool.name,
        machine_type=machine,
        capacity=pool.capacity,
        accelerator=pool.accelerator,
        gke_accelerator=gke_accel,
        accelerator_count=pool.accelerators_per_node,
        tpu_topology=pool.tpu_topology,
        autoscaling=autoscaling,
        node_count=node_count,
        initial_node_count=initial,
        taint=taint,
        k8s_labels=labels,
        disk_size_gb=pool.disk_size_gb,
        zones=zones,
    )
