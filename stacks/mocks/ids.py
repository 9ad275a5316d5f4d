"""Deterministic fake identifiers shared by the per-cloud mocks."""

from __future__ import annotations

import hashlib
import uuid


def hex_id(*parts: str, n: int = 8) -> str:
    return hashlib.sha256("/".join(parts).encode()).hexdigest()[:n]


def uuid_id(*parts: str) -> str:
    return str(uuid.UUID(hashlib.md5("/".join(parts).encode()).hexdigest()))  # noqa: S324 (not security)


def split_token(token: str) -> tuple[str, str, str]:
    """``aws:s3/bucket:Bucket`` -> (``aws``, ``s3``, ``Bucket``)."""
    package, module, kind = (token.split(":") + ["", ""])[:3]
    return package, module.split("/")[0], kind
