"""The Azure platform: VNet, Key Vault, Storage, Log Analytics, ACR, AKS with spot GPU pools,
Azure ML with low-priority compute — secure by default, tagged everywhere.

`build(name, spec, parent)` is what `MlPlatform` calls for ``cloud: azure``.
"""

from __future__ import annotations

from typing import Any

import pulumi

from components.azure.platform import AzurePlatform
from components.spec import PlatformSpec

__all__ = ["AzurePlatform", "build"]


def build(name: str, spec: PlatformSpec, parent: pulumi.Resource) -> dict[str, Any]:
    """Create the platform under `parent` and return its stack outputs (snake_case keys)."""
    return AzurePlatform(name, spec, opts=pulumi.ResourceOptions(parent=parent)).outputs
