"""Cloud-neutral platform spec and the Pulumi components that realise it on each cloud.

The names load on first use (PEP 562): `components.policy` and `components.spec` are
imported by commands that never build a resource, and should not pay for the Pulumi SDK.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from components.platform import MlPlatform
    from components.spec import NodePool, PlatformSpec, SpecError

_HOME = {
    "MlPlatform": "components.platform",
    "NodePool": "components.spec",
    "PlatformSpec": "components.spec",
    "SpecError": "components.spec",
}
__all__ = ["MlPlatform", "NodePool", "PlatformSpec", "SpecError"]


def __getattr__(name: str) -> Any:
    if name in _HOME:
        return getattr(importlib.import_module(_HOME[name]), name)
    raise AttributeError(f"module 'components' has no attribute {name!r}")
