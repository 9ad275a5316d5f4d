"""`stacks.assess`: where the plan, the cost estimate and the policy meet — for shipped stacks
and, in one call, for a user's own Pulumi program."""

from __future__ import annotations

import pulumi_aws as aws

from stacks.assess import assess, assess_program, estimate_stack
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


def test_own_program_gets_cost_and_policy_in_one_call(capsys):
    def program() -> None:  # a user's program: no pioneer components at all
        aws.ec2.Instance("box", instance_type="m6i.xlarge", ami="ami-0123456789abcdef0")
        aws.s3.Bucket("data")

    result = assess_program(program, stack="dev", config={"aws:region": "us-east-1"}, echo=True)
    cost, policy = result["cost"], result["policy"]
    assert cost["cloud"] == "aws" and cost["region"] == "us-east-1"
    box = next(ln for ln in cost["lines"] if ln["name"] == "box")
    assert box["status"] == "priced" and box["monthly_usd"] > 0 and cost["complete"] is True
    assert policy["rules_checked"] > 0
    assert "policy:" in capsys.readouterr().out
