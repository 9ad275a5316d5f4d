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

from components.gcp.network import check_capacity, plan_ranges
from components.gcp.node_pools import plan_pool
from components.gcp.storage import soft_delete_seconds
from components.gcp.tags import sanitise_labels
from components.spec import PlatformSpec, SpecError


def spec_errors(spec: PlatformSpec, stack: str | None = None) -> list[str]:
    # The pioneer labels take part: a tag such as `Pioneer-Stack` would collide with them.
    pioneer = {"pioneer-stack": stack or "", "pioneer-component": ""}
    checks: list[Callable[[], object]] = [
        lambda: sanitise_labels({**spec.tags, **pioneer}),
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
