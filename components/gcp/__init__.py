"""The GCP platform package: the same two entry points as every cloud.

- `spec_errors(spec, stack=...)`: GCP's own rules on a spec (`components.gcp.validation`),
  called by `PlatformSpec.parse`; needs no Pulumi runtime (its planning helpers sit
  beside the GCP components, so it loads pulumi_gcp).
- `build(name, spec, parent)`: the platform's components under `parent`
  (`components.gcp.platform`); returns the stack outputs (`components.outputs.GcpOutputs`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.gcp.validation import spec_errors, spec_warnings
from components.outputs import GcpOutputs, output_keys

if TYPE_CHECKING:
    import pulumi

    from components.spec import PlatformSpec

OUTPUT_KEYS = output_keys("gcp")

__all__ = ["OUTPUT_KEYS", "build", "spec_errors", "spec_warnings"]


def build(name: str, spec: PlatformSpec, parent: pulumi.Resource) -> GcpOutputs:
    from components.gcp import platform  # on use: parsing a spec never loads the cloud SDK

    return platform.build(name, spec, parent)
