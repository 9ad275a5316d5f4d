"""AWS's own rules on a spec: the tag alphabet and the reserved ``aws:`` prefix.

`spec_errors` is what `PlatformSpec.parse` calls for ``cloud: aws``. Every
resource carries the spec's tags plus ``pioneer:stack`` (the stack name) and
``pioneer:component`` through the provider's default tags, so a tag AWS
rejects would fail the first resource of `pulumi up`; here it fails at parse,
naming the tag. Needs neither the AWS SDK nor the Pulumi runtime.
"""

from __future__ import annotations

from datetime import date

from components.kubernetes_version import version_findings
from components.spec import PlatformSpec
from cost.catalog import get_catalog

TAG_PUNCTUATION = frozenset("_.:/=+-@")
PIONEER_TAGS = ("pioneer:stack", "pioneer:component")


def _bad_chars(text: str) -> list[str]:
    """Characters outside the tagging API's pattern: Unicode letters, digits, space, _.:/=+-@."""
    return sorted({c for c in text if not (c.isalnum() or c.isspace() or c in TAG_PUNCTUATION)})


def _extended_effect() -> str:
    cat = get_catalog()
    ext = cat.service_price("aws", "eks_control_plane_extended").usd
    std = cat.service_price("aws", "eks_control_plane").usd
    return (
        f"the cluster is created with upgrade policy EXTENDED and its control plane is priced "
        f"at ${ext:.2f}/h instead of ${std:.2f}/h"
    )


def spec_warnings(spec: PlatformSpec, today: date | None = None) -> list[str]:
    """What is allowed but costs or risks more: a Kubernetes version in extended support."""
    return version_findings(spec, _extended_effect(), today)[1]


def spec_errors(
    spec: PlatformSpec, stack: str | None = None, today: date | None = None
) -> list[str]:
    errs: list[str] = version_findings(spec, _extended_effect(), today)[0]
    allowed = "letters, digits, spaces and _ . : / = + - @"
    for key, value in spec.tags.items():
        if key.lower().startswith("aws:"):
            errs.append(f"tags.{key}: the aws: prefix is reserved by AWS")
        if key in PIONEER_TAGS:
            errs.append(f"tags.{key}: set by pioneer on every resource; use another name")
        if bad := _bad_chars(key):
            errs.append(f"tags.{key}: AWS tag keys allow only {allowed} (not {' '.join(bad)})")
        if bad := _bad_chars(value):
            errs.append(f"tags.{key}: AWS tag values allow only {allowed} (not {' '.join(bad)})")
    # The count and length limits: components/tag_limits.py (every cloud).
    if stack is not None and (bad := _bad_chars(stack)):
        errs.append(f"stack: {stack!r} becomes the pioneer:stack tag, which allows only {allowed}")
    return errs
