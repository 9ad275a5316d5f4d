"""GCP-specific rules on a spec, checked together before any resource is declared.

The cloud-neutral edge (`PlatformSpec.parse`) cannot know GCS's soft-delete
limits, how the VPC range is split for pods, TPU slice shapes or GCP's label
rules; this collects every such problem into one `SpecError`, each message
naming its field, so a user fixes them all in one go.
"""

from __future__ import annotations

from collections.abc import Callable

import pulumi

from components.gcp.network import check_capacity, plan_ranges
from components.gcp.node_pools import plan_pool
from components.gcp.storage import soft_delete_seconds
from components.gcp.tags import sanitise_labels
from components.spec import PlatformSpec, SpecError


def gcp_spec_errors(spec: PlatformSpec) -> list[str]:
    checks: list[Callable[[], object]] = [
        lambda: sanitise_labels({**spec.tags, "pioneer-stack": pulumi.get_stack()}),
        lambda: soft_delete_seconds(spec.storage.soft_delete_days),
        lambda: check_capacity(spec, plan_ranges(spec.network.cidr)),
        *[(lambda p=p, i=i: plan_pool(p, i, spec)) for i, p in enumerate(spec.node_pools)],
    ]
    errors: list[str] = []
    for check in checks:
        try:
            check()
        except SpecError as e:
            errors.extend(e.errors)
    return errors


def check_gcp_spec(spec: PlatformSpec) -> None:
    errors = gcp_spec_errors(spec)
    if errors:
        raise SpecError(errors)
