"""`assess_program`: cost and policy of a user's own Pulumi program in one call."""

from __future__ import annotations

import pulumi_aws as aws

from stacks.assess import assess_program


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
