"""`pioneer preflight`: the quotas a stack needs before `pulumi up`, and whether it has them.

A new AWS account has 0 vCPUs of "All P Spot Instance Requests", a new GCP
project 0 `GPUS_ALL_REGIONS`, a new Azure subscription a few dozen vCPUs per
family: the GPU pools then never get a node and `pulumi up` (or the first
job) fails far from the cause. Offline, `needs(spec)` lists every quota the
stack's node pools need at their `max_nodes`; with credentials, each cloud's
reader fetches the current limits (AWS Service Quotas, GCP Compute
regions/projects, Azure Compute usages) and `check` says which to raise.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Protocol

from components.spec import NodePool, PlatformSpec


@dataclass
class PoolShape:
    """What one pool holds at its maximum, resolved through the catalog."""

    pool: str
    instance_type: str
    nodes: int
    vcpus: float
    accelerator: str | None
    accelerators: int  # per node
    spot: bool


@dataclass
class QuotaNeed:
    cloud: str
    scope: str  # a region name, or "global"
    name: str  # AWS quota code, GCP metric, Azure usage name
    title: str  # what the console calls it
    unit: str  # vCPUs | GPUs | TPU chips
    needed: float
    pools: list[str] = field(default_factory=list)
    how: str = ""  # how to raise it (filled in once the needs are summed)
    # Where the cloud also accepts another quota for the same capacity (GCP
    # spot VMs fall back to the regular GPU quota when no preemptible one is set).
    or_name: str | None = None


@dataclass
class QuotaCheck:
    need: QuotaNeed
    limit: float | None  # None: could not be read
    usage: float | None
    status: str  # ok | raise | unknown
    note: str = ""

    def to_json(self) -> dict[str, Any]:
        return {**asdict(self.need), "limit": self.limit, "usage": self.usage,
                "status": self.status, "note": self.note}  # fmt: skip


class QuotaReader(Protocol):
    def limit(self, need: QuotaNeed) -> tuple[float | None, float | None, str]:
        """(limit, usage, note) for `need`; limit None when it cannot be read."""


def pool_shapes(spec: PlatformSpec) -> list[PoolShape]:
    from cost.catalog import CatalogError, get_catalog
    from stacks.preflight.resolve import instance_type_of

    catalog = get_catalog()
    shapes = []
    for pool in spec.node_pools:
        if pool.max_nodes == 0:
            continue
        itype = instance_type_of(spec, pool)
        try:
            offer = catalog.offer(spec.cloud, spec.region, itype)
            vcpus, accels = offer.vcpus, offer.accelerator_count
            accel = offer.accelerator or pool.accelerator
        except CatalogError:
            vcpus, accels, accel = 0.0, pool.accelerators_per_node or 0, pool.accelerator
        shapes.append(
            PoolShape(
                pool=pool.name,
                instance_type=itype,
                nodes=pool.max_nodes,
                vcpus=vcpus,
                accelerator=accel if accel and accel != "none" else None,
                accelerators=int(accels or 0),
                spot=_spot(pool),
            )
        )
    return shapes


def _spot(pool: NodePool) -> bool:
    return bool(pool.spot)


def needs(spec: PlatformSpec) -> list[QuotaNeed]:
    """Every quota the stack's node pools need at max_nodes, summed per quota."""
    from stacks.preflight import aws, azure, gcp

    module = {"aws": aws, "gcp": gcp, "azure": azure}[spec.cloud]
    merged: dict[tuple[str, str], QuotaNeed] = {}
    for shape in pool_shapes(spec):
        for need in module.needs_for(shape, spec.region):
            key = (need.scope, need.name)
            if key in merged:
                merged[key].needed += need.needed
                merged[key].pools += need.pools
            else:
                merged[key] = need
    for need in merged.values():
        need.how = module.how(need)
    return sorted(merged.values(), key=lambda n: (n.scope != "global", n.scope, n.name))


def check(items: list[QuotaNeed], reader: QuotaReader | None) -> list[QuotaCheck]:
    """Compare each need with the limit the reader finds (status unknown without a reader)."""
    out = []
    for need in items:
        if reader is None:
            out.append(QuotaCheck(need, None, None, "unknown", "offline: limit not read"))
            continue
        limit, usage, note = reader.limit(need)
        if limit is None:
            out.append(QuotaCheck(need, None, usage, "unknown", note))
            continue
        free = limit - (usage or 0.0)
        status = "ok" if free >= need.needed else "raise"
        if status == "raise":
            note = note or f"raise to at least {need.needed + (usage or 0):g} {need.unit}"
        out.append(QuotaCheck(need, limit, usage, status, note))
    return out
