"""GCP-specific rules on a spec, checked together before any resource is declared.

The cloud-neutral edge (`PlatformSpec.parse`) cannot know GCS's soft-delete
limits, how the VPC range is split for pods, TPU slice shapes or GCP's label
rules; `spec_errors` (what `PlatformSpec.parse` calls for ``cloud: gcp``)
collects every such problem, each message naming its field, so a user fixes
them all in one go. The stack name is passed in, never read from the Pulumi
runtime.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date

from components.gcp.network import check_capacity, plan_ranges
from components.gcp.node_pools import plan_pool
from components.gcp.storage import soft_delete_seconds
from components.gcp.tags import sanitise_labels
from components.kubernetes_version import version_findings
from components.spec import PlatformSpec, SpecError
from cost.catalog import get_catalog


def _extended_effect(spec: PlatformSpec) -> str:
    cat = get_catalog()
    fee = cat.service_price("gcp", "gke_extended_support_hour").usd
    std = cat.service_price("gcp", "gke_cluster_management").usd
    return (
        f"the cluster joins the EXTENDED release channel (cluster.release_channel "
        f"{spec.cluster.release_channel} does not offer it) and pays ${fee:.2f}/h for extended "
        f"support on top of the ${std:.2f}/h management fee"
    )


def spec_warnings(spec: PlatformSpec, today: date | None = None) -> list[str]:
    """What is allowed but costs or risks more: a Kubernetes version in extended support."""
    return version_findings(spec, _extended_effect(spec), today)[1]


def spec_errors(
    spec: PlatformSpec, stack: str | None = None, today: date | None = None
) -> list[str]:
    # The pioneer labels take part: a tag such as `Pioneer-Stack` would collide with them.
    pioneer = {"pioneer-stack": stack or "", "pioneer-component": ""}
    checks: list[Callable[[], object]] = [
        lambda: sanitise_labels({**spec.tags, **pioneer}),
        lambda: soft_delete_seconds(spec.storage.soft_delete_days),
        lambda: check_capacity(spec, plan_ranges(spec.network.cidr)),
        *[(lambda p=p, i=i: plan_pool(p, i, spec)) for i, p in enumerate(spec.node_pools)],
    ]
    errors: list[str] = version_findings(spec, _extended_effect(spec), today)[0]
    for check in checks:
        try:
            check()
        except SpecError as e:
            errors.extend(e.errors)
    return errors
