"""The AWS platform package: the same two entry points as every cloud.

- `spec_errors(spec, stack=...)`: AWS's own rules on a spec (`components.aws.validation`),
  called by `PlatformSpec.parse`; needs neither the cloud SDK nor the Pulumi runtime.
- `build(name, spec, parent)`: the platform's components under `parent`
  (`components.aws.platform`); returns the stack outputs (`components.outputs.AwsOutputs`).
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from components.aws.validation import spec_errors, spec_warnings
from components.outputs import AwsOutputs, output_keys

if TYPE_CHECKING:
    import pulumi

    from components.spec import PlatformSpec

OUTPUT_KEYS = output_keys("aws")

__all__ = ["OUTPUT_KEYS", "build", "spec_errors", "spec_warnings"]


def build(name: str, spec: PlatformSpec, parent: pulumi.Resource) -> AwsOutputs:
    from components.aws import platform  # on use: parsing a spec never loads the cloud SDK

    return platform.build(name, spec, parent)
