"""Glue between CrossGuard's validation callbacks and pioneer's rule functions.

A rule decidable from one resource becomes a `ResourceValidationPolicy`; a rule
that needs the whole stack (S3 companions, provider default tags, the budget)
becomes a `StackValidationPolicy`. Both call the very functions `pioneer plan`
calls (`components.policy.rules.RULES`). Nothing here imports `pulumi_policy`
except `build_policies`, so the mapping is testable without it.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import sys
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from components.policy.model import Rule, RuleSkipped, Stack
from components.policy.rules import RULES
from components.policy.tags import PLATFORM_TAGS
from plan_document import PlannedResource

PACK_NAME = "pioneer-guardrails"
ReportViolation = Callable[..., None]

# Per-rule settings a user can pass with `--policy-pack-config` (JSON schema properties).
CONFIG_SCHEMAS: dict[str, dict[str, dict[str, Any]]] = {
    "cost-within-budget": {"monthlyUsd": {"type": "number", "exclusiveMinimum": 0}},
    "cost-on-demand-gpu-opt-in": {"maxAccelerators": {"type": "number", "minimum": 0}},
    "tags-required": {"requiredTags": {"type": "array", "items": {"type": "string"}}},
}


def plain(value: Any) -> Any:
    """CrossGuard props as plain dicts/lists, unknown values left as their sentinel strings.

    CrossGuard wraps props in a proxy that raises on any unknown value, which would
    abort a whole stack policy during preview; the rules handle unknowns themselves
    (a reference that is unknown is still a reference). The proxy hands its
    contents out under the key ``"__target"``.
    """
    if isinstance(value, Mapping):
        with contextlib.suppress(KeyError):
            value = value["__target"]
        return {k: plain(v) for k, v in dict(value).items()}
    if isinstance(value, Sequence) and not isinstance(value, (str, bytes)):
        with contextlib.suppress(TypeError, KeyError, IndexError):  # plain lists take no str index
            value = value["__target"]  # type: ignore[call-overload]
        return [plain(v) for v in value]
    return value


def resource_of(args: Any) -> PlannedResource:
    """`ResourceValidationArgs` or a stack's `PolicyResource` -> the plan document's record."""
    provider = getattr(args, "provider", None)
    parent = getattr(args, "parent", None)
    return PlannedResource(
        type=args.resource_type,
        urn=args.urn,
        name=args.name,
        inputs=plain(args.props),
        parent=getattr(parent, "urn", None),
        dependencies=tuple(d.urn for d in getattr(args, "dependencies", None) or ()),
        # The engine writes provider references as "<urn>::<id>"; the rules strip the id.
        provider=f"{provider.urn}::id" if provider is not None else None,
    )


def stack_of(
    resources: list[Any], config: Mapping[str, Any], rule: Rule, spec: Any = None
) -> Stack:
    records = [resource_of(r) for r in resources]
    seen = {r.urn for r in records}
    for r in resources:  # providers carry AWS default tags / GCP default labels
        p = getattr(r, "provider", None)
        if p is not None and p.urn not in seen:
            seen.add(p.urn)
            records.append(
                PlannedResource(type=p.resource_type, urn=p.urn, name=p.name, inputs=plain(p.props))
            )
    return Stack(resources=records, spec=spec, config={rule.id: dict(config or {})})


def stack_config() -> dict[str, Any]:
    """The stack's `pioneer:` config, decoded (policy packs see the stack's config)."""
    try:
        import pulumi

        from components.spec import PlatformSpec
    except ImportError:
        return {}
    config = pulumi.Config("pioneer")
    raw: dict[str, Any] = {}
    for key in PlatformSpec.model_fields:
        value = config.get(key)
        if value is not None:
            try:
                raw[key] = json.loads(value)  # structured config reaches programs as JSON
            except ValueError:
                raw[key] = value
    return raw


def stack_spec() -> Any:
    """The stack's `PlatformSpec`, or None: not a pioneer stack, or the spec needs a cloud SDK
    this environment lacks (GCP validation imports pulumi_gcp)."""
    raw = stack_config()
    if not raw:
        return None
    try:
        from components.spec import PlatformSpec, SpecError

        return PlatformSpec.parse(raw)
    except (ImportError, SpecError):
        return None


def settings_from_config(rule: Rule) -> dict[str, Any]:
    """Without a spec, the budget and tags straight from the stack's `pioneer:` config."""
    raw = stack_config()
    if rule.id == "cost-within-budget" and isinstance(raw.get("budget"), Mapping):
        return {"monthlyUsd": raw["budget"].get("monthly_usd")}
    if rule.id == "cost-on-demand-gpu-opt-in" and isinstance(raw.get("node_pools"), list):
        return {
            "optedInPools": [
                p.get("name")
                for p in raw["node_pools"]
                if isinstance(p, Mapping) and p.get("on_demand_opt_in") is True
            ]
        }
    if rule.id == "tags-required" and isinstance(raw.get("tags"), Mapping):
        return {"requiredTags": [*raw["tags"], *PLATFORM_TAGS]}
    return {}


def add_cost_estimate(stack: Stack) -> None:
    """Price the plan with `cost.estimate` (for cost-within-budget).

    Without it (a dependency of the cost package missing from this environment)
    the plan has no estimate and the budget rule is skipped, as in `pioneer plan`.
    """
    # CrossGuard does not say which resources are custom: component resources (pioneer:*)
    # and the stack hold no cost of their own, providers carry the region.
    doc = {
        "steps": [
            {
                "op": "create",
                "urn": r.urn,
                "newState": dataclasses.replace(r, custom=custom).as_state(),
            }
            for r in stack.resources
            for custom in [
                r.type.split(":", 1)[0] not in ("pioneer", "pulumi")
                or r.type.startswith("pulumi:providers:")
            ]
        ]
    }
    try:
        from cost.estimate import estimate_preview

        stack.doc = {**doc, "cost": estimate_preview(doc)}
    except ImportError as e:
        print(
            f"pioneer-guardrails: no cost estimate ({e}); cost-within-budget skipped",
            file=sys.stderr,
        )


def resource_validator(rule: Rule) -> Callable[[Any, ReportViolation], None]:
    def validate(args: Any, report_violation: ReportViolation) -> None:
        record = resource_of(args)
        if rule.applies_to(record):
            for message in rule.check_resource(record):  # type: ignore[misc]
                report_violation(message)

    validate.__name__ = f"validate_{rule.id.replace('-', '_')}"
    return validate


def stack_validator(
    rule: Rule, spec_loader: Callable[[], Any] = stack_spec
) -> Callable[[Any, ReportViolation], None]:
    def validate(args: Any, report_violation: ReportViolation) -> None:
        spec = spec_loader()
        config = {
            **(settings_from_config(rule) if spec is None else {}),
            **(args.get_config() or {}),
        }
        stack = stack_of(list(args.resources), config, rule, spec)
        if rule.id == "cost-within-budget":
            add_cost_estimate(stack)
        try:
            findings = rule.run(stack)
        except RuleSkipped:
            return  # undecidable here (no budget, no estimate): not a violation
        for f in findings:
            report_violation(f.message, f.urn or None)

    validate.__name__ = f"validate_{rule.id.replace('-', '_')}"
    return validate


def build_policies(rules: tuple[Rule, ...] = RULES) -> list[Any]:
    """One CrossGuard policy per rule, with the rule's severity as its enforcement level."""
    from pulumi_policy import (
        EnforcementLevel,
        PolicyConfigSchema,
        ResourceValidationPolicy,
        StackValidationPolicy,
    )

    policies: list[Any] = []
    for rule in rules:
        kwargs: dict[str, Any] = {
            "name": rule.id,
            "description": f"{rule.description} Fix: {rule.fix}",
            "enforcement_level": EnforcementLevel(rule.severity),
        }
        if rule.id in CONFIG_SCHEMAS:
            kwargs["config_schema"] = PolicyConfigSchema(properties=CONFIG_SCHEMAS[rule.id])
        if rule.is_resource_rule:
            policies.append(ResourceValidationPolicy(validate=resource_validator(rule), **kwargs))
        else:
            policies.append(StackValidationPolicy(validate=stack_validator(rule), **kwargs))
    return policies
