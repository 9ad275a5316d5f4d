"""Policy as code: the platform's security and budget guardrails.

One set of rule functions (`rules.RULES`) runs in three places: `pioneer plan`
(`engine.evaluate` on the offline preview), the tests, and the Pulumi CrossGuard
pack in `policypack/` for `pulumi preview --policy-pack`.
"""

from components.policy.engine import evaluate, mandatory_rule_ids
from components.policy.model import Finding, Resource, Rule, RuleSkipped, Stack
from components.policy.rules import RULES, RULES_BY_ID, get_rule

__all__ = [
    "RULES",
    "RULES_BY_ID",
    "Finding",
    "Resource",
    "Rule",
    "RuleSkipped",
    "Stack",
    "evaluate",
    "get_rule",
    "mandatory_rule_ids",
]
