"""Each cloud's tag limits, checked at the spec edge so a plan never carries a tag the cloud
would refuse at `pulumi up` (GCP's label rules live in components/gcp/labels.py).

Sources (checked 2026-12-01):
- AWS: 50 user tags per resource, keys 1-128 and values 0-256 Unicode characters of letters,
  digits, spaces and `_ . : / = + - @`; the `aws:` prefix is reserved
  (https://docs.aws.amazon.com/tag-editor/latest/userguide/tagging.html, "Tag naming limits").
- Azure: 50 tag name/value pairs per resource; names at most 512 characters (128 on storage
  accounts, which every platform has), values at most 256
  (https://learn.microsoft.com/azure/azure-resource-manager/management/tag-resources#limitations).
"""

from __future__ import annotations

from typing import Any

# components.tags.platform_tags adds these two to the spec's tags on every resource.
PIONEER_TAG_COUNT = 2
LIMITS: dict[str, dict[str, int]] = {
    "aws": {"count": 50, "key": 128, "value": 256},
    "azure": {"count": 50, "key": 128, "value": 256},
}
# AWS's tag alphabet and reserved prefix: components/aws/validation.py.


def tag_limit_errors(spec: Any) -> list[str]:
    """Problems with `spec.tags` on `spec.cloud`, each naming the tag and the limit."""
    limits = LIMITS.get(spec.cloud)
    if limits is None:
        return []
    errs = []
    room = limits["count"] - PIONEER_TAG_COUNT
    if len(spec.tags) > room:
        errs.append(
            f"tags: {len(spec.tags)} tags; {spec.cloud} allows {limits['count']} per resource "
            f"and pioneer adds {PIONEER_TAG_COUNT} (pioneer:stack, pioneer:component), "
            f"so at most {room}"
        )
        return errs  # one message, not one per tag, for a config far over the limit
    for key, value in spec.tags.items():
        if len(key) > limits["key"]:
            errs.append(
                f"tags.{key[:40]}: keys are at most {limits['key']} characters on {spec.cloud}"
            )
        if len(value) > limits["value"]:
            errs.append(
                f"tags.{key}: values are at most {limits['value']} characters on {spec.cloud}"
            )
    return errs
