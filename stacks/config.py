"""Stack configs: find `Pulumi.<stack>.yaml`, read its `pioneer:` keys, build the spec."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from components.spec import PlatformSpec, SpecError

STACKS_DIR = Path(__file__).parent
NAMESPACE = "pioneer"


class StackNotFound(LookupError):
    pass


def list_stacks(directory: Path = STACKS_DIR) -> list[str]:
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in directory.glob("Pulumi.*.yaml"))


def resolve_stack(ref: str | Path) -> tuple[str, Path]:
    """A stack name from `stacks/` or a path to a `Pulumi.<name>.yaml` -> (name, path)."""
    path = Path(ref)
    if path.suffix in (".yaml", ".yml") or path.exists():
        if not path.is_file():
            raise StackNotFound(f"no stack config file at {path}")
        name = path.name
        if name.startswith("Pulumi.") and name.count(".") >= 2:
            name = name[len("Pulumi.") :].rsplit(".", 1)[0]
        else:
            name = path.stem
        return name, path
    candidate = STACKS_DIR / f"Pulumi.{ref}.yaml"
    if not candidate.is_file():
        raise StackNotFound(
            f"unknown stack {str(ref)!r}; stacks: {', '.join(list_stacks()) or 'none'} "
            f"(or give a path to a Pulumi.<name>.yaml file)"
        )
    return str(ref), candidate


def load_stack_config(path: Path) -> dict[str, Any]:
    """The `config:` map of a stack file, with full Pulumi keys (`pioneer:cloud`)."""
    try:
        doc = yaml.safe_load(path.read_text()) or {}
    except yaml.YAMLError as e:
        raise SpecError([f"{path}: not valid YAML ({e.__class__.__name__}: {e})"]) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("config", {}), dict):
        raise SpecError([f"{path}: expected a mapping with a 'config:' section"])
    return dict(doc.get("config") or {})


def platform_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The `pioneer:` keys without their namespace; other namespaces are left to their providers."""
    prefix = NAMESPACE + ":"
    return {k[len(prefix) :]: decode_value(v) for k, v in config.items() if k.startswith(prefix)}


def decode_value(value: Any) -> Any:
    """A config value as data: Pulumi hands structured config to programs as JSON strings."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


def spec_from_stack(ref: str | Path) -> tuple[str, Path, PlatformSpec]:
    name, path = resolve_stack(ref)
    spec = PlatformSpec.parse(platform_config(load_stack_config(path)))
    return name, path, spec
