"""Physical names for AWS resources that must be named up front (cluster, ECR, registry).

Pulumi auto-names most resources (a random suffix allows replace-before-delete);
a few names are needed before the resource exists (the EKS cluster name goes into
subnet tags) or are read by people and tools, so they are derived from the
platform and stack names: ``mlp-aws-dev`` for platform ``mlp-aws`` on stack ``dev``.
"""

from __future__ import annotations

import re

import pulumi

_UNSAFE = re.compile(r"[^a-z0-9-]+")


def physical_name(platform: str, suffix: str = "", *, max_len: int = 63) -> str:
    """``<platform>-<stack>[-suffix]``, lower-case letters, digits and '-' only."""
    stack = _UNSAFE.sub("-", pulumi.get_stack().lower()).strip("-") or "stack"
    name = f"{platform}-{stack}" + (f"-{suffix}" if suffix else "")
    return name[:max_len].rstrip("-")
