"""Model references and aliases in the MLflow model registry.

A reference is `name` (the `production` alias), `name:alias` or `name:version`
(digits). The aliases pioneer uses: `candidate` (registered, passed its gates
or awaiting approval) and `production` (what serving deploys). Promotion moves
`production` and remembers the version it replaced in the model version's
`pioneer.previous_production` tag, so a rollback knows where to go back to.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from typing import Any

CANDIDATE = "candidate"
PRODUCTION = "production"
ALIAS_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_-]{0,62}$")
NAME_RE = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
PREVIOUS_TAG = "pioneer.previous_production"

os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")


class RefError(ValueError):
    pass


@dataclass(frozen=True)
class ModelRef:
    name: str
    alias: str | None = None
    version: int | None = None

    def __str__(self) -> str:
        if self.version is not None:
            return f"{self.name}:{self.version}"
        return f"{self.name}:{self.alias or PRODUCTION}"


def parse_ref(text: str) -> ModelRef:
    """`digits`, `digits:production`, `digits:3` → ModelRef; a clear error otherwise."""
    name, sep, tail = text.partition(":")
    if not NAME_RE.match(name):
        raise RefError(
            f"model reference {text!r}: name must be letters, digits, '.', '_' or '-' "
            "(form NAME, NAME:ALIAS or NAME:VERSION)"
        )
    if not sep:
        return ModelRef(name, alias=PRODUCTION)
    if tail.isdigit():
        return ModelRef(name, version=int(tail))
    if not ALIAS_RE.match(tail):
        raise RefError(
            f"model reference {text!r}: {tail!r} is neither a version number nor an alias"
        )
    return ModelRef(name, alias=tail)


@dataclass
class ResolvedModel:
    name: str
    version: int
    source: str  # models:/… or runs:/… URI MLflow can load
    run_id: str | None
    tags: dict[str, str]
    aliases: list[str]

    @property
    def uri(self) -> str:
        return f"models:/{self.name}/{self.version}"


class Registry:
    """The few registry operations the lifecycle needs, over one MLflow tracking URI."""

    def __init__(self, tracking_uri: str):
        from mlflow.tracking import MlflowClient

        self.tracking_uri = tracking_uri
        self.client = MlflowClient(tracking_uri=tracking_uri, registry_uri=tracking_uri)

    def resolve(self, ref: ModelRef | str) -> ResolvedModel:
        from mlflow.exceptions import MlflowException

        ref = parse_ref(ref) if isinstance(ref, str) else ref
        try:
            if ref.version is not None:
                mv = self.client.get_model_version(ref.name, str(ref.version))
            else:
                mv = self.client.get_model_version_by_alias(ref.name, ref.alias or PRODUCTION)
        except MlflowException as e:
            raise RefError(
                f"{ref}: not in the registry at {self.tracking_uri} ({e.message})"
            ) from None
        return ResolvedModel(
            name=mv.name,
            version=int(mv.version),
            source=mv.source or "",
            run_id=mv.run_id,
            tags=dict(mv.tags or {}),
            aliases=list(getattr(mv, "aliases", []) or []),
        )

    def alias_version(self, name: str, alias: str) -> int | None:
        try:
            return self.resolve(ModelRef(name, alias=alias)).version
        except RefError:
            return None

    def set_alias(self, name: str, alias: str, version: int) -> int | None:
        """Point `alias` at `version`; returns the version it pointed at before (or None)."""
        before = self.alias_version(name, alias)
        self.client.set_registered_model_alias(name, alias, str(version))
        if alias == PRODUCTION and before is not None and before != version:
            self.client.set_model_version_tag(name, str(version), PREVIOUS_TAG, str(before))
        return before

    def set_tags(self, name: str, version: int, tags: dict[str, Any]) -> None:
        for k, v in tags.items():
            self.client.set_model_version_tag(name, str(version), k, str(v))

    def load_pytorch(self, ref: ModelRef | str) -> Any:
        import mlflow.pytorch

        resolved = self.resolve(ref)
        return mlflow.pytorch.load_model(resolved.uri)
