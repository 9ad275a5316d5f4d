"""The instance/machine/VM type a pool deploys with: explicit type, else the catalog's match.

The same choice the cloud components make (cheapest catalog type with the
pool's accelerator and count; the cloud's default CPU type for CPU pools).
"""

from __future__ import annotations

from components.spec import NodePool, PlatformSpec


def instance_type_of(spec: PlatformSpec, pool: NodePool) -> str:
    from cost.catalog import CatalogError, get_catalog
    from cost.estimate import DEFAULT_CPU_TYPES

    if pool.instance_type:
        return pool.instance_type
    if not pool.accelerator:
        return DEFAULT_CPU_TYPES[spec.cloud]
    try:
        return get_catalog().instance_types(
            spec.cloud, spec.region, pool.accelerator, pool.accelerators_per_node
        )[0]
    except (CatalogError, IndexError):
        return f"<{pool.accelerators_per_node}x{pool.accelerator}>"
