"""Azure's own rules on a spec: AKS/AmlCompute pool limits and Azure's tag-name alphabet.

`spec_errors` is what `PlatformSpec.parse` calls for ``cloud: azure``; it needs
no Azure SDK and no Pulumi runtime.
"""

from __future__ import annotations

from components.spec import PlatformSpec

# Azure tag names may not contain these characters, nor start with these reserved prefixes.
TAG_FORBIDDEN = frozenset("<>%&\\?/")
TAG_RESERVED = ("microsoft", "azure", "windows")


def spec_errors(spec: PlatformSpec, stack: str | None = None) -> list[str]:
    """Every Azure-specific problem of `spec`, each naming its field.

    ``stack`` is accepted for the common signature; Azure tag values (where the
    stack name lands) have no alphabet rule.
    """
    errs = []
    for i, pool in enumerate(spec.node_pools):
        if pool.max_nodes < 1:
            errs.append(
                f"node_pools[{i}].max_nodes: must be at least 1 on azure "
                "(the AKS autoscaler and AmlCompute need a maximum of 1 or more)"
            )
    for key in spec.tags:
        bad = sorted(TAG_FORBIDDEN & set(key))
        if bad:
            errs.append(f"tags.{key}: azure tag names may not contain {' '.join(bad)}")
        if key.lower().startswith(TAG_RESERVED):
            errs.append(
                f"tags.{key}: azure reserves tag names starting with {', '.join(TAG_RESERVED)}"
            )
    return errs
