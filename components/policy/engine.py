"""Run the policy rules over a plan document: `evaluate(doc, spec)`.

The document is what `pioneer plan --json` prints or what `pulumi preview --json`
writes (``steps[].newState``); the spec, when there is one, lets the cost and tag
rules use the stack's own budget, pools and tags.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import TYPE_CHECKING, Any

from components.policy.model import Rule, RuleSkipped, Stack
from components.policy.rules import RULES
from plan_document import parse_preview

if TYPE_CHECKING:
    from components.spec import PlatformSpec

SEVERITY_ORDER = {"mandatory": 0, "advisory": 1}


def evaluate(
    doc: Mapping[str, Any],
    spec: PlatformSpec | None = None,
    *,
    rules: Iterable[Rule] = RULES,
    config: Mapping[str, Any] | None = None,
) -> dict[str, Any]:
    """Check a plan against the rules.

    Returns ``{"violations": [{rule, severity, urn, message}], "mandatory": n,
    "advisory": n, "rules_checked": n, "skipped": [{rule, reason}]}``; violations
    are ordered mandatory first, then by rule id.
    """
    stack = Stack(resources=parse_preview(doc), spec=spec, doc=doc, config=config or {})
    violations: list[dict[str, str]] = []
    skipped: list[dict[str, str]] = []
    checked = 0
    for rule in rules:
        try:
            findings = rule.run(stack)
        except RuleSkipped as e:
            skipped.append({"rule": rule.id, "reason": str(e)})
            continue
        checked += 1
        violations += [
            {"rule": rule.id, "severity": rule.severity, "urn": f.urn, "message": f.message}
            for f in findings
        ]
    violations.sort(key=lambda v: (SEVERITY_ORDER[v["severity"]], v["rule"]))
    return {
        "violations": violations,
        "mandatory": sum(v["severity"] == "mandatory" for v in violations),
        "advisory": sum(v["severity"] == "advisory" for v in violations),
        "rules_checked": checked,
        "skipped": skipped,
    }


def mandatory_rule_ids(result: Mapping[str, Any]) -> list[str]:
    """The ids of the mandatory rules a result violates (what `--enforce` names)."""
    return sorted({v["rule"] for v in result["violations"] if v["severity"] == "mandatory"})
