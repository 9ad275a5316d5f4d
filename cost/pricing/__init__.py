"""How each resource type in a plan is priced: one rule per Pulumi type token, per cloud.

`common` holds what the rules share (charges, the context, the registry); `aws`,
`gcp` and `azure` hold each cloud's rules and its free types. Importing this
package registers every rule on `RULES`.
"""

from __future__ import annotations

from cost.pricing import aws, azure, gcp
from cost.pricing.common import COMMON_FREE_PREFIXES, RULES, Context, Free, NotPriced, Priced

FREE_PREFIXES = (
    *COMMON_FREE_PREFIXES,
    *aws.FREE_PREFIXES,
    *gcp.FREE_PREFIXES,
    *azure.FREE_PREFIXES,
)


def free_reason(type_: str) -> str | None:
    """Why a type without a rule costs nothing, or None when it is simply not priced."""
    for prefix, reason in FREE_PREFIXES:
        if type_.startswith(prefix):
            return reason
    # S3 bucket sub-resources (versioning, encryption, public access block, lifecycle, policy)
    if type_.startswith("aws:s3/bucket") and type_.split(":")[-1] not in ("Bucket", "BucketV2"):
        return "bucket configuration (storage is priced on the bucket)"
    return None


__all__ = ["FREE_PREFIXES", "RULES", "Context", "Free", "NotPriced", "Priced", "free_reason"]
