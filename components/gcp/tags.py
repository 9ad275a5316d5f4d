"""GCP labels from the spec's tags: sanitised to GCP's rules, plus the pioneer labels.

GCP labels allow only lower-case letters, digits, ``_`` and ``-``, at most 63
characters, and keys must start with a letter. Tags written for other clouds
(``CostCenter``, ``pioneer:stack``) are rewritten rather than rejected, and the
platform warns once saying exactly what changed.
"""

from __future__ import annotations

import re
from collections.abc import Mapping

import pulumi

from components.spec import PlatformSpec, SpecError

MAX_LEN = 63
MAX_LABELS = 64
_BAD = re.compile(r"[^a-z0-9_-]")


def sanitise_key(key: str) -> str:
    out = _BAD.sub("-", key.lower())
    if not out[:1].isalpha() or not out[:1].isascii():
        out = "tag-" + out  # keys must start with a letter
    return out[:MAX_LEN]


def sanitise_value(value: str) -> str:
    return _BAD.sub("-", value.lower())[:MAX_LEN]


def sanitise_labels(tags: Mapping[str, str]) -> tuple[dict[str, str], list[str]]:
    """GCP-valid labels for `tags`, and one line per tag that had to change.

    Raises `SpecError` naming both tags when two of them become the same label key.
    """
    labels: dict[str, str] = {}
    origin: dict[str, str] = {}
    changes: list[str] = []
    for key, value in tags.items():
        new_key, new_value = sanitise_key(key), sanitise_value(value)
        if new_key in origin:
            raise SpecError(
                [
                    f"tags.{key}: becomes GCP label key {new_key!r}, the same as "
                    f"tags.{origin[new_key]}; rename one of them"
                ]
            )
        origin[new_key] = key
        if (new_key, new_value) != (key, value):
            changes.append(f"{key}={value!r} -> {new_key}={new_value!r}")
        labels[new_key] = new_value
    if len(labels) > MAX_LABELS:
        raise SpecError(
            [f"tags: {len(labels)} labels; GCP allows at most {MAX_LABELS} per resource"]
        )
    return labels, changes


def component_label(component: str) -> str:
    """``GkeCluster`` -> ``gke-cluster`` (component class names as label values)."""
    return re.sub(r"(?<!^)(?=[A-Z])", "-", component).lower()


def platform_labels(spec: PlatformSpec, component: str) -> dict[str, str]:
    """The labels every labelable GCP resource of `component` carries."""
    tags = {
        **spec.tags,
        "pioneer-stack": pulumi.get_stack(),
        "pioneer-component": component_label(component),
    }
    return sanitise_labels(tags)[0]


def warn_label_changes(spec: PlatformSpec) -> list[str]:
    """Log (once per platform) which tags were rewritten to fit GCP's label rules."""
    _, changes = sanitise_labels({**spec.tags, "pioneer-stack": pulumi.get_stack()})
    if changes:
        pulumi.log.warn(
            "GCP labels must be lower-case [a-z0-9_-], at most 63 characters, keys "
            "starting with a letter; rewrote: " + "; ".join(changes)
        )
    return changes
