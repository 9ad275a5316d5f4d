"""The plan document: what ``pulumi preview --json`` (or ``pioneer plan --json``) says a stack holds.

One record type, `PlannedResource`, and one reader, `parse_preview`, for every
consumer: the cost estimate, the policy engine, the CrossGuard pack and the
offline preview that writes the document (`stacks.plan.preview_document`).

This module sits at the bottom of the package layers and imports nothing
outside the standard library: the policy pack imports it from its own venv.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

STACK_TYPE = "pulumi:pulumi:Stack"
# Steps whose resource will not exist after the update: nothing to price or judge.
GONE_OPS = frozenset({"delete", "discard", "delete-replaced", "read-discard"})


class PreviewFormatError(ValueError):
    """The document is not shaped like `pulumi preview --json`; the message says where."""


@dataclass(frozen=True)
class PlannedResource:
    """One resource of a plan, as the Pulumi engine sees it (a preview step's ``newState``)."""

    type: str
    urn: str
    name: str
    inputs: Mapping[str, Any]
    """The engine's camelCase inputs (provider inputs may arrive as JSON strings)."""
    id: str | None = None
    parent: str | None = None
    custom: bool = True
    """False for component resources (and the stack), which own nothing in the cloud."""
    dependencies: tuple[str, ...] = ()
    provider: str | None = None
    """Provider reference as the engine writes it: ``<provider urn>::<provider id>``."""
    state: Mapping[str, Any] = field(default_factory=dict)
    """What the engine (or the mocks) answered: inputs plus computed outputs (ids, ARNs)."""

    @classmethod
    def from_state(cls, state: Mapping[str, Any], urn: str = "") -> PlannedResource:
        """From ``{type, urn, name?, inputs, ...}``: a preview step's newState is one."""
        urn = str(state.get("urn") or urn)
        return cls(
            type=str(state["type"]),
            urn=urn,
            name=str(state.get("name") or name_of(urn)),
            inputs=state.get("inputs") or {},
            id=state.get("id"),
            parent=state.get("parent"),
            custom=bool(state.get("custom", True)),
            dependencies=tuple(state.get("dependencies") or ()),
            provider=state.get("provider"),
            state=state.get("outputs") or {},
        )

    def as_state(self, parent: str | None = None) -> dict[str, Any]:
        """The step's ``newState`` as `pulumi preview --json` writes it."""
        return {
            "type": self.type,
            "urn": self.urn,
            "parent": self.parent or parent,
            "custom": self.custom,
            **({"id": self.id or ""} if self.custom else {}),
            "inputs": dict(self.inputs),
            "dependencies": list(self.dependencies),
            **({"provider": self.provider} if self.provider else {}),
        }

    def get(self, path: str, default: Any = None) -> Any:
        return get(self.inputs, path, default)


def name_of(urn: str) -> str:
    """The resource name is the URN's last ``::`` part."""
    return urn.rsplit("::", 1)[-1] if "::" in urn else urn


def parse_json(value: Any) -> Any:
    """A provider input that arrives as a JSON string (policies, nested objects) as data."""
    if isinstance(value, str) and value[:1] in ("{", "["):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def get(obj: Any, path: str, default: Any = None) -> Any:
    """``get(inputs, "vpcConfig.endpointPublicAccess")``, looking through JSON strings."""
    for part in path.split("."):
        obj = parse_json(obj)
        if not isinstance(obj, Mapping) or part not in obj:
            return default
        obj = obj[part]
    obj = parse_json(obj)
    return default if obj is None else obj


def parse_preview(doc: Any) -> list[PlannedResource]:
    """The resources a preview leaves in place (deleted ones are left out), stack included.

    Raises `PreviewFormatError` naming the step when the document is not a preview.
    """
    if not isinstance(doc, Mapping) or not isinstance(doc.get("steps"), list):
        raise PreviewFormatError(
            "not a `pulumi preview --json` document: expected a mapping with a 'steps' list "
            "(the output of `pioneer plan --json` or `pulumi preview --json`)"
        )
    out = []
    for i, step in enumerate(doc["steps"]):
        if not isinstance(step, Mapping):
            raise PreviewFormatError(f"steps[{i}]: expected an object")
        if step.get("op") in GONE_OPS:
            continue
        state = step.get("newState") or step.get("oldState")
        if not isinstance(state, Mapping) or "type" not in state:
            raise PreviewFormatError(f"steps[{i}].newState needs a 'type'")
        out.append(PlannedResource.from_state(state, urn=str(step.get("urn", ""))))
    return out


def load_preview(path: str | Path) -> dict[str, Any]:
    """Read a `pulumi preview --json` (or `pioneer plan --json`) file, checked by `parse_preview`."""
    p = Path(path)
    if not p.is_file():
        raise FileNotFoundError(f"no preview file at {p}")
    try:
        doc = json.loads(p.read_text())
    except json.JSONDecodeError as e:
        raise PreviewFormatError(f"{p}: not JSON ({e})") from None
    parse_preview(doc)  # fail early, naming the step, if it is not a preview document
    return doc
