"""Where the lifecycle keeps its state on this machine: one folder, one layout.

Pipelines, serving and monitoring all read and write here, so the paths live
in one place. The root is `.pioneer/lifecycle/` under the current directory,
or PIONEER_STORE, or `--store DIR`:

    <root>/mlflow.db                      MLflow tracking + registry (sqlite)
    <root>/mlartifacts/                   MLflow artifacts
    <root>/audit.jsonl                    hash-chained audit log (+ audit.jsonl.head)
    <root>/lineage/<model>/<version>.json lineage record per model version
    <root>/cards/<model>/<version>.md|json model card per model version
    <root>/baselines/<model>/<version>.npz training features + eval predictions (monitoring)
    <root>/cache/                         pipeline step outputs, keyed by content hash
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from pathlib import Path

from lifecycle.audit import AuditLog

DEFAULT_ROOT = Path(".pioneer") / "lifecycle"
ENV_VAR = "PIONEER_STORE"


@dataclass(frozen=True)
class Store:
    root: Path

    @classmethod
    def default(cls, override: str | Path | None = None) -> Store:
        """`override` (a --store option), else PIONEER_STORE, else ./.pioneer/lifecycle."""
        chosen = override or os.environ.get(ENV_VAR) or DEFAULT_ROOT
        return cls(Path(chosen).resolve())

    @property
    def tracking_uri(self) -> str:
        return f"sqlite:///{self.root / 'mlflow.db'}"

    @property
    def artifacts_dir(self) -> Path:
        return self.root / "mlartifacts"

    @property
    def audit(self) -> AuditLog:
        return AuditLog(self.root / "audit.jsonl")

    @property
    def lineage_dir(self) -> Path:
        return self.root / "lineage"

    @property
    def cache_dir(self) -> Path:
        return self.root / "cache"

    def lineage_path(self, model: str, version: int) -> Path:
        return self.lineage_dir / model / f"{version}.json"

    def card_path(self, model: str, version: int, suffix: str = ".md") -> Path:
        return self.root / "cards" / model / f"{version}{suffix}"

    def baseline_path(self, model: str, version: int) -> Path:
        """The training-data profile monitoring compares traffic with: an .npz holding
        `X`, `y` (the training features and labels) and `eval_X`, `eval_y`,
        `eval_pred` (the eval split and the model's predictions on it)."""
        return self.root / "baselines" / model / f"{version}.npz"

    def ensure(self) -> Store:
        self.root.mkdir(parents=True, exist_ok=True)
        return self
