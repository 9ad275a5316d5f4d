"""What a policy rule is, what it looks at, and how to read provider inputs safely.

A rule sees resources the way the Pulumi engine does: a type token, a URN, a
name and the camelCase inputs (`pulumi preview --json`'s ``newState``, or a
CrossGuard policy's ``args.props``). Inputs arrive in several shapes — nested
objects as dicts, provider inputs as JSON strings, numbers as floats, booleans
sometimes as ``"true"`` — so the rules read them only through the helpers here.

This module imports nothing outside the standard library and `plan_document`: the
policy pack runs it in its own virtual environment.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal

from plan_document import PlannedResource, parse_json
from plan_document import get as get  # re-exported: the rules read inputs through it

if TYPE_CHECKING:
    from components.spec import PlatformSpec

# The rules' name for the plan document's one record type.
Resource = PlannedResource

Severity = Literal["mandatory", "advisory"]
SEVERITIES: tuple[str, ...] = ("mandatory", "advisory")
AREAS: tuple[str, ...] = ("storage", "identity", "compute", "cost", "tags")

# What the engine sends for a value that is not known until the resource exists (previews):
# the string sentinel, and the typed ones CrossGuard uses (bool, number, array, asset, archive, object).
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"
UNKNOWNS = frozenset(
    {
        UNKNOWN,
        "1c4a061d-8072-4f0a-a4cb-0ff528b18fe7",
        "3eeb2bf0-c639-47a8-9e75-3b44932eb421",
        "6a19a0b0-7e62-4c92-b797-7f8e31da9cc2",
        "030794c1-ac77-496b-92df-f27374a8bd58",
        "e48ece36-62e2-4504-bad9-02848725956a",
        "dd056dcd-154b-4c76-9bd3-c8f88648b5ff",
    }
)


class RuleSkipped(Exception):
    """A rule this plan cannot decide (no estimate, no budget): reported as skipped, not passed."""


@dataclass(frozen=True)
class Finding:
    urn: str
    message: str


@dataclass
class Stack:
    """Everything a stack-level rule may look at."""

    resources: list[Resource]
    spec: PlatformSpec | None = None
    doc: Mapping[str, Any] = field(default_factory=dict)
    """The whole plan document (its ``cost`` key carries the estimate when there is one)."""
    config: Mapping[str, Any] = field(default_factory=dict)
    """Per-rule settings from outside (the policy pack's config): ``{rule_id: {key: value}}``."""

    def of_type(self, *types: str) -> list[Resource]:
        return [r for r in self.resources if r.type in types]

    def by_urn(self, urn: str | None) -> Resource | None:
        if not urn:
            return None
        return next((r for r in self.resources if r.urn == urn), None)

    def provider_of(self, resource: Resource) -> Resource | None:
        if not resource.provider:
            return None
        return self.by_urn(resource.provider.rsplit("::", 1)[0])

    def root_urn(self) -> str:
        root = next((r for r in self.resources if r.type == "pulumi:pulumi:Stack"), None)
        return root.urn if root else ""

    def settings(self, rule_id: str) -> Mapping[str, Any]:
        value = self.config.get(rule_id)
        return value if isinstance(value, Mapping) else {}

    def refers_to(self, resource: Resource, prop: str, target: Resource) -> bool:
        """Does ``resource.inputs[prop]`` name ``target`` (by id/name), or depend on it?

        Under mocks the value is the target's id; in a real preview it may still be
        unknown, and then the recorded dependency is the only link left.
        """
        value = resource.get(prop)
        if isinstance(value, str) and value in identifiers(target):
            return True
        known = set().union(*(identifiers(r) for r in self.resources if r is not resource))
        return (
            not isinstance(value, str) or value not in known
        ) and target.urn in resource.dependencies


@dataclass(frozen=True)
class Rule:
    """One guardrail. It has a per-resource check, a whole-stack check, or both."""

    id: str
    severity: Severity
    area: str
    description: str
    fix: str
    types: frozenset[str] = frozenset()
    """Resource types ``check_resource`` is called for (empty: every resource)."""
    check_resource: Callable[[Resource], Iterable[str]] | None = None
    check_stack: Callable[[Stack], Iterable[Finding]] | None = None

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(
                f"rule {self.id}: severity {self.severity!r} is not one of {SEVERITIES}"
            )
        if self.area not in AREAS or not self.id.startswith(self.area + "-"):
            raise ValueError(f"rule {self.id}: id must start with its area, one of {AREAS}")
        if self.check_resource is None and self.check_stack is None:
            raise ValueError(f"rule {self.id}: needs check_resource or check_stack")

    @property
    def is_resource_rule(self) -> bool:
        """Decidable from one resource alone (a CrossGuard `ResourceValidationPolicy`)."""
        return self.check_stack is None

    def applies_to(self, resource: Resource) -> bool:
        return self.check_resource is not None and (not self.types or resource.type in self.types)

    def run(self, stack: Stack) -> list[Finding]:
        found: list[Finding] = []
        for r in stack.resources:
            if self.applies_to(r):
                found += [Finding(r.urn, msg) for msg in self.check_resource(r)]  # type: ignore[misc]
        if self.check_stack is not None:
            found += list(self.check_stack(stack))
        return found


# ---- reading inputs -------------------------------------------------------------------------


def is_unknown(value: Any) -> bool:
    return isinstance(value, str) and value in UNKNOWNS


def as_bool(value: Any) -> bool | None:
    """True/False, or None when not set (or not known yet)."""
    if isinstance(value, bool):
        return value
    if isinstance(value, str) and value.lower() in ("true", "false"):
        return value.lower() == "true"
    return None


def as_list(value: Any) -> list[Any]:
    value = parse_json(value)
    if value is None or isinstance(value, (str, bytes, Mapping)):
        return [] if value is None else [value]
    return list(value) if isinstance(value, Sequence) else [value]


def as_map(value: Any) -> Mapping[str, Any]:
    value = parse_json(value)
    return value if isinstance(value, Mapping) else {}


def as_number(value: Any) -> float | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, (int, float)):
        return float(value)
    if isinstance(value, str):
        try:
            return float(value)
        except ValueError:
            return None
    return None


# Inputs in which a resource names itself (elsewhere the same key may be a reference to another).
SELF_NAMING_INPUTS: dict[str, str] = {
    "aws:s3/bucket:Bucket": "bucket",
    "aws:s3/bucketV2:BucketV2": "bucket",
    "azure-native:storage:StorageAccount": "accountName",
    "azure-native:storage:BlobContainer": "containerName",
}


def identifiers(resource: Resource) -> set[str]:
    """Strings other resources use to point at this one: its id, name and self-naming input."""
    ids = {resource.name}
    if resource.id:
        ids |= {resource.id, resource.id.rstrip("/").rsplit("/", 1)[-1]}
    inputs = resource.inputs if isinstance(resource.inputs, Mapping) else {}
    for key in ("name", SELF_NAMING_INPUTS.get(resource.type)):
        value = inputs.get(key) if key else None
        if isinstance(value, str) and value and not is_unknown(value):
            ids.add(value)
    return ids


def short(resource: Resource) -> str:
    return f"{resource.type.rsplit(':', 1)[-1]} {resource.name!r}"


def each(items: Iterable[Any]) -> Iterator[Mapping[str, Any]]:
    for item in items:
        item = parse_json(item)
        if isinstance(item, Mapping):
            yield item
