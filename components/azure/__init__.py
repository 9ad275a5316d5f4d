"""The Azure platform package: the same two entry points as every cloud.

- `spec_errors(spec, stack=...)`: Azure's own rules on a spec (`components.azure.validation`),
  called by `PlatformSpec.parse`; needs neither the cloud SDK nor the Pulumi runtime.
- `build(name, spec, parent)`: the platform's components under `parent`
  (`components.azure.platform`); returns the stack outputs (`components.outputs.AzureOutputs`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.azure.validation import spec_errors, spec_warnings
from components.outputs import AzureOutputs, output_keys

if TYPE_CHECKING:
    import pulumi

    from components.spec import PlatformSpec

OUTPUT_KEYS = output_keys("azure")

__all__ = ["OUTPUT_KEYS", "build", "spec_errors", "spec_warnings"]


def build(name: str, spec: PlatformSpec, parent: pulumi.Resource) -> AzureOutputs:
    from components.azure import platform  # on use: parsing a spec never loads the cloud SDK

    return platform.build(name, spec, parent)
