"""docker-build answers for the mock monitor: the digest a registry would report for a push.

No Docker daemon is involved: the digest is derived from the pushed tags, so the same
inputs give the same digest and a changed content tag gives a new one.
"""

from __future__ import annotations

import hashlib
from typing import Any


def new_resource(args: Any, mocks: Any) -> tuple[str, dict]:
    tags = [str(t) for t in args.inputs.get("tags") or []]
    state = dict(args.inputs)
    if args.inputs.get("push"):
        digest = "sha256:" + hashlib.sha256("\n".join(tags).encode()).hexdigest()
        state.update(digest=digest, ref=f"{tags[0]}@{digest}" if tags else "")
    state["contextHash"] = hashlib.sha256(repr(args.inputs.get("context")).encode()).hexdigest()
    return f"{args.name}-id", state


def call(args: Any, mocks: Any) -> dict:
    return {}
