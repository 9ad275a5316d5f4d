"""AWS tags: the provider's ``default_tags`` carry the platform's; each part overrides its component.

`pulumi_aws` applies a provider's default tags to every taggable resource it
creates, so the components pass only ``pioneer:component`` (the EC2 instances
an EKS node group launches are the exception: launch templates tag them
explicitly with `platform_tags`).
"""

from __future__ import annotations

import pulumi_aws as aws

from components.spec import PlatformSpec
from components.tags import platform_tags


def default_tags(spec: PlatformSpec) -> aws.ProviderDefaultTagsArgs:
    return aws.ProviderDefaultTagsArgs(tags=platform_tags(spec, "MlPlatform"))


def component_tags(component: str) -> dict[str, str]:
    return {"pioneer:component": component}
