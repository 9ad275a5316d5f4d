"""Kubernetes answers for the mock monitor: namespaced ids."""

from __future__ import annotations

from typing import Any


def new_resource(args: Any, mocks: Any) -> tuple[str, dict]:
    meta = args.inputs.get("metadata") or {}
    name = meta.get("name") or args.name
    ns = meta.get("namespace")
    rid = f"{ns}/{name}" if ns else name
    return rid, {**args.inputs, "id": rid}


def call(args: Any, mocks: Any) -> dict:
    return {}
