"""Stack configs: find `Pulumi.<stack>.yaml`, read its `pioneer:` keys, build the spec."""

from __future__ import annotations

import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from components.spec import PlatformSpec, SpecError
from cost.input_file import parse_yaml, read_input

STACKS_DIR = Path(__file__).parent
"""The stacks shipped with pioneer (the examples); names resolve against the current project."""
NAMESPACE = "pioneer"
PROJECT_FILES = ("Pulumi.yaml", "Pulumi.yml")


class StackNotFound(LookupError):
    pass


def project_stacks_dir(cwd: Path | None = None) -> Path:
    """Where the current project keeps `Pulumi.<stack>.yaml`: the folder of the nearest
    `Pulumi.yaml` at or above the working directory (as the Pulumi CLI finds its project),
    or its `stackConfigDir`."""
    start = (cwd or Path.cwd()).resolve()
    for folder in (start, *start.parents):
        for name in PROJECT_FILES:
            project = folder / name
            if project.is_file():
                doc = yaml.safe_load(read_input(project, "Pulumi project file"))
                sub = doc.get("stackConfigDir") if isinstance(doc, dict) else None
                return folder / sub if isinstance(sub, str) and sub else folder
    raise StackNotFound(
        f"no Pulumi.yaml in {start} or any folder above it: run pioneer inside a Pulumi "
        "project, or give a path to a Pulumi.<name>.yaml file"
    )


def list_stacks(directory: Path | None = None) -> list[str]:
    folder = directory or project_stacks_dir()
    return sorted(p.name[len("Pulumi.") : -len(".yaml")] for p in folder.glob("Pulumi.*.yaml"))


def resolve_stack(ref: str | Path) -> tuple[str, Path]:
    """A stack name of the current project or a path to a `Pulumi.<name>.yaml` -> (name, path)."""
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
    folder = project_stacks_dir()
    candidate = folder / f"Pulumi.{ref}.yaml"
    if not candidate.is_file():
        raise StackNotFound(
            f"unknown stack {str(ref)!r} in {folder}; stacks there: "
            f"{', '.join(list_stacks(folder)) or 'none'} "
            f"(or give a path to a Pulumi.<name>.yaml file)"
        )
    return str(ref), candidate


def load_stack_config(path: Path) -> dict[str, Any]:
    """The `config:` map of a stack file, with full Pulumi keys (`pioneer:cloud`)."""
    try:
        doc = parse_yaml(read_input(path, "stack config file")) or {}
    except yaml.YAMLError as e:
        raise SpecError([f"{path}: not valid YAML ({e.__class__.__name__}: {e})"]) from None
    if not isinstance(doc, dict) or not isinstance(doc.get("config", {}), dict):
        raise SpecError([f"{path}: expected a mapping with a 'config:' section"])
    return dict(doc.get("config") or {})


# The provider config keys that say where a stack's resources go (what `pulumi up` reads).
PROVIDER_REGION_KEYS = ("aws:region", "gcp:region", "azure-native:location")


def provider_region(config: Mapping[str, Any]) -> str | None:
    """The stack's provider region/location from its config, else its `pioneer:region`."""
    for key in (*PROVIDER_REGION_KEYS, f"{NAMESPACE}:region"):
        if isinstance(config.get(key), str) and config[key]:
            return str(config[key])
    return None


def platform_config(config: Mapping[str, Any]) -> dict[str, Any]:
    """The `pioneer:` keys without their namespace; other namespaces are left to their providers."""
    prefix = NAMESPACE + ":"
    # Pulumi namespaces every key; a bare `cloud:` would otherwise be dropped without a word.
    bare = [str(k) for k in config if ":" not in str(k)]
    if bare:
        raise SpecError(
            [f"config.{k}: key lacks the project namespace; write {prefix}{k}" for k in bare]
        )
    return {k[len(prefix) :]: decode_value(v) for k, v in config.items() if k.startswith(prefix)}


def decode_value(value: Any) -> Any:
    """A config value as data: Pulumi hands structured config to programs as JSON strings."""
    if isinstance(value, str):
        try:
            return json.loads(value)
        except ValueError:
            return value
    return value


ADDONS_FOR = "addons_for"
"""The one key of an add-ons stack: the platform stack whose cluster add-ons it installs."""


def addons_for(config: Mapping[str, Any]) -> str | None:
    """The platform stack an add-ons stack's config names, else None (a platform stack)."""
    value = config.get(f"{NAMESPACE}:{ADDONS_FOR}")
    return None if value is None else str(value)


def spec_from_stack(ref: str | Path) -> tuple[str, Path, PlatformSpec]:
    """A stack's spec; an add-ons stack's is the spec of the platform it names."""
    name, path = resolve_stack(ref)
    raw = platform_config(load_stack_config(path))
    if ADDONS_FOR not in raw:
        return name, path, PlatformSpec.parse(raw, stack=name)
    target = raw.pop(ADDONS_FOR)
    if raw:
        raise SpecError(
            [f"config.{NAMESPACE}:{k}: an add-ons stack has only {NAMESPACE}:{ADDONS_FOR}; "
             f"this key belongs in stack {target!r}" for k in sorted(raw)]
        )  # fmt: skip
    if not isinstance(target, str) or not target:
        raise SpecError(
            [f"config.{NAMESPACE}:{ADDONS_FOR}: expected the platform stack's name, "
             f"got {target!r}"]
        )  # fmt: skip
    target_path = path.parent / f"Pulumi.{target}.yaml"
    if not target_path.is_file():
        raise SpecError(
            [f"config.{NAMESPACE}:{ADDONS_FOR}: no platform stack {target!r} beside {path} "
             f"(stacks there: {', '.join(list_stacks(path.parent)) or 'none'})"]
        )  # fmt: skip
    spec = PlatformSpec.parse(platform_config(load_stack_config(target_path)), stack=target)
    if spec.cluster.addons != "separate_stack":
        raise SpecError(
            [f"config.{NAMESPACE}:{ADDONS_FOR}: stack {target!r} installs its add-ons itself "
             "(cluster.addons: in_stack); set cluster.addons: separate_stack there first"]
        )  # fmt: skip
    return name, path, spec
