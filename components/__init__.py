"""Cloud-neutral platform spec and the Pulumi components that realise it on each cloud."""

from components.platform import MlPlatform
from components.spec import NodePool, PlatformSpec, SpecError

__all__ = ["MlPlatform", "NodePool", "PlatformSpec", "SpecError"]
