"""Tag rule: every taggable resource carries the platform's required tags (labels on GCP).

Which types can carry tags comes from the provider schemas (`data/taggable.json`,
rebuilt by `build_taggable.py`). AWS and GCP providers add their
``defaultTags`` / ``defaultLabels`` to every resource, so those count as present.
Keys are compared loosely (`pioneer:stack` = `pioneer-stack`), because GCP label
keys allow only lower-case letters, digits, `-` and `_` and the GCP components
sanitise them.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator, Mapping
from functools import cache
from pathlib import Path
from typing import Any

from components.policy.model import (
    Finding,
    Resource,
    Rule,
    Stack,
    as_list,
    as_map,
    get,
    is_unknown,
    short,
)

TAGGABLE_JSON = Path(__file__).parent / "data" / "taggable.json"
PLATFORM_TAGS: tuple[str, ...] = ("pioneer:stack", "pioneer:component")


@cache
def taggable_types() -> dict[str, str]:
    """Resource type -> the input that holds its tags (``tags``, ``labels``, ``resourceLabels``)."""
    return json.loads(TAGGABLE_JSON.read_text())


def normalise(key: str) -> str:
    return re.sub(r"[^a-z0-9]", "", key.lower())


def required_tags(stack: Stack) -> list[str]:
    if stack.spec is not None:
        return [*stack.spec.tags, *PLATFORM_TAGS]
    configured = as_list(stack.settings("tags-required").get("requiredTags"))
    return [str(t) for t in configured] or list(PLATFORM_TAGS)


def provider_defaults(stack: Stack, resource: Resource) -> Mapping[str, Any]:
    provider = stack.provider_of(resource)
    if provider is None:
        return {}
    return {
        **as_map(get(provider.inputs, "defaultTags.tags")),
        **as_map(provider.get("defaultLabels")),
    }


def _tags_present(stack: Stack) -> Iterator[Finding]:
    required = required_tags(stack)
    index = taggable_types()
    for r in stack.resources:
        field = index.get(r.type)
        if field is None:
            continue
        own = r.get(field)
        if is_unknown(own):
            continue  # computed during a real preview; the resource's own validation runs at update
        present = {normalise(k) for k in {**provider_defaults(stack, r), **as_map(own)}}
        missing = [t for t in required if normalise(t) not in present]
        if missing:
            yield Finding(
                r.urn,
                f"{short(r)} lacks {'tag' if field == 'tags' else 'label'}"
                f"{'s' if len(missing) > 1 else ''} {', '.join(missing)} ({field})",
            )


TAGS_REQUIRED = Rule(
    id="tags-required",
    severity="mandatory",
    area="tags",
    description="Every taggable resource carries the spec's tags plus pioneer:stack and "
    "pioneer:component (GCP: the same keys as labels), so cost reports and owners can "
    "be traced.",
    fix="AWS: the provider's default_tags; GCP: labels / resource_labels (or the provider's "
    "default_labels); Azure: tags on every resource (a stack transformation). Use "
    "components.tags.platform_tags(spec, component).",
    check_stack=_tags_present,
)

RULES: tuple[Rule, ...] = (TAGS_REQUIRED,)
