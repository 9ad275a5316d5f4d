"""Tags every resource carries: the spec's own plus `pioneer:stack` and `pioneer:component`."""

from __future__ import annotations

import pulumi

from components.spec import PlatformSpec


def platform_tags(spec: PlatformSpec, component: str) -> dict[str, str]:
    return {**spec.tags, "pioneer:stack": pulumi.get_stack(), "pioneer:component": component}
