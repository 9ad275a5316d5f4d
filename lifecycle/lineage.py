"""Lineage records: what made each model version, linked by content hashes.

One JSON file per version (`<store>/lineage/<model>/<version>.json`) written at
registration: dataset digest and version, code revision, resolved training
config, package lock hash, hardware, metrics, energy and cost, parent version,
the gate decision with its evidence, and each step's cache key and output
digest. Deployments come from the audit log, so the tree also shows where the
version went after registration.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lifecycle.registry import Registry, parse_ref
from lifecycle.store import Store


def write(store: Store, record: dict[str, Any]) -> Path:
    path = store.lineage_path(record["model"], record["version"])
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(record, indent=2, sort_keys=True, default=str), encoding="utf-8")
    return path


def load(store: Store, model: str, version: int) -> dict[str, Any] | None:
    path = store.lineage_path(model, version)
    return json.loads(path.read_text(encoding="utf-8")) if path.is_file() else None


def lookup(store: Store, ref_text: str) -> dict[str, Any]:
    """The record for `MODEL[:VERSION|:ALIAS]`, with its deployments from the audit log."""
    ref = parse_ref(ref_text)
    version = ref.version
    if version is None:
        version = Registry(store.tracking_uri).resolve(ref).version
    record = load(store, ref.name, version)
    if record is None:
        raise FileNotFoundError(
            f"{ref.name}:{version}: no lineage record in {store.lineage_dir} "
            "(registered outside `pioneer pipeline run`?)"
        )
    subject = f"{ref.name}:{version}"
    record["history"] = [
        {k: e[k] for k in ("seq", "time", "actor", "action", "reason")} | {"details": e["details"]}
        for e in store.audit.entries()
        if e.get("subject") == subject
    ]
    return record
