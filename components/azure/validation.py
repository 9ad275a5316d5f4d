"""Azure's own rules on a spec: AKS/AmlCompute pool limits and Azure's tag-name alphabet.

`spec_errors` is what `PlatformSpec.parse` calls for ``cloud: azure``; it needs
no Azure SDK and no Pulumi runtime.
"""

from __future__ import annotations

from datetime import date

from components.kubernetes_version import version_findings
from components.spec import PlatformSpec
from cost.catalog import get_catalog

# Azure tag names may not contain these characters, nor start with these reserved prefixes.
TAG_FORBIDDEN = frozenset("<>%&\\?/")
TAG_RESERVED = ("microsoft", "azure", "windows")


def _extended_effect() -> str:
    cat = get_catalog()
    premium = cat.service_price("azure", "aks_premium_tier_hour").usd
    standard = cat.service_price("azure", "aks_standard_tier_hour").usd
    return (
        f"the cluster is created on the Premium tier with the AKSLongTermSupport plan, "
        f"${premium:.2f}/h instead of the Standard tier's ${standard:.2f}/h"
    )


def spec_warnings(spec: PlatformSpec, today: date | None = None) -> list[str]:
    """What is allowed but costs or risks more: a Kubernetes version in long-term support."""
    return version_findings(spec, _extended_effect(), today)[1]


def spec_errors(
    spec: PlatformSpec, stack: str | None = None, today: date | None = None
) -> list[str]:
    """Every Azure-specific problem of `spec`, each naming its field.

    ``stack`` is accepted for the common signature; Azure tag values (where the
    stack name lands) have no alphabet rule.
    """
    errs = version_findings(spec, _extended_effect(), today)[0]
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
