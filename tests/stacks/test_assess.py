"""`stacks.assess`: the one place where the plan, the cost estimate and the policy meet."""

from __future__ import annotations

from stacks.assess import assess, estimate_stack
from stacks.plan import run_plan


def test_assess_prices_the_plan_before_the_policy_judges_it():
    report = assess(run_plan("aws-dev"))
    assert report.document["cost"] is report.cost and report.cost["monthly_usd"] > 0
    assert report.cost["usage"]["source"].endswith("usage.aws-dev.yaml")  # next to the stack
    # the budget rule ran on the estimate instead of being skipped for want of one
    assert "cost-within-budget" not in {s["rule"] for s in report.policy["skipped"]}


def test_estimate_stack_adds_the_node_pools_from_the_spec():
    est = estimate_stack("gcp-dev")
    assert est["stack"] == "gcp-dev" and est["node_pools"]["pools"]
