"""Every rule of the platform's policy, in one tuple: what `pioneer plan`, the tests and the
CrossGuard policy pack all run."""

from __future__ import annotations

from components.policy import compute, cost, identity, storage, tags, workloads
from components.policy.model import Rule

RULES: tuple[Rule, ...] = (
    *storage.RULES,
    *identity.RULES,
    *compute.RULES,
    *workloads.RULES,
    *cost.RULES,
    *tags.RULES,
)
RULES_BY_ID: dict[str, Rule] = {r.id: r for r in RULES}

if len(RULES_BY_ID) != len(RULES):  # pragma: no cover - a programming error, caught at import
    raise RuntimeError("two policy rules share an id")


def get_rule(rule_id: str) -> Rule:
    try:
        return RULES_BY_ID[rule_id]
    except KeyError:
        raise KeyError(
            f"unknown policy rule {rule_id!r}; rules: {', '.join(RULES_BY_ID)}"
        ) from None
