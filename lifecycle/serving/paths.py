"""Where serving keeps its state in the lifecycle store (beside MLflow and the audit log)."""

from __future__ import annotations

from pathlib import Path

from lifecycle.store import Store


def capture_file(store: Store, endpoint: str, variant: str) -> Path:
    """SageMaker's layout, one folder per endpoint and variant (monitoring reads the folder)."""
    return store.root / "capture" / endpoint / variant / "capture.jsonl"


def deployment_file(store: Store, endpoint: str, target: str) -> Path:
    return store.root / "deployments" / f"{endpoint}.{target}.json"
