"""Tags on every Azure resource, through one stack-wide transformation.

`pulumi_azure_native` has no provider-level default tags (AWS and GCP use
theirs), so `build` gives every part a legacy ``transformations`` entry that
its children inherit. It
adds the spec's tags plus ``pioneer:stack`` and ``pioneer:component`` to every
resource whose arguments accept ``tags``. The legacy option is used on purpose:
it runs in-process (also under the test mocks), the newer ``transforms`` do not.
Azure allows ``:`` in tag names (it forbids ``< > % & \\ ? /``), so the keys
match the other clouds.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

import pulumi

from components.spec import PlatformSpec
from components.tags import platform_tags

Transformation = Callable[
    [pulumi.ResourceTransformationArgs], pulumi.ResourceTransformationResult | None
]


def component_kind(resource: pulumi.Resource | None) -> str:
    """The component a resource belongs to: its parent's ``KIND`` (pioneer Azure components)
    or class name (shared components such as ``components.k8s``'s ``WorkloadIdentity``)."""
    if resource is None:
        return "MlPlatform"
    return getattr(type(resource), "KIND", None) or type(resource).__name__


def tag_transformation(spec: PlatformSpec) -> Transformation:
    def add_tags(
        args: pulumi.ResourceTransformationArgs,
    ) -> pulumi.ResourceTransformationResult | None:
        if "tags" not in args.props:  # components, providers and types without tags
            return None
        tags = platform_tags(spec, component_kind(args.opts.parent))
        # Tags arrive as the plain mapping the component passed (never an Output here).
        own = cast(Mapping[str, Any], args.props.get("tags") or {})
        # The resource's own tags may add keys but never override the platform's.
        props = {**args.props, "tags": {**own, **tags}}
        return pulumi.ResourceTransformationResult(props=props, opts=args.opts)

    return add_tags
