"""`assess_program`: cost and policy of a user's own Pulumi program in one call."""

from __future__ import annotations

from components import MlPlatform
from stacks.assess import assess_program


def test_own_program_gets_cost_and_policy_in_one_call(shipped_spec, capsys):
    spec = shipped_spec("aws-dev")

    def program() -> None:
        MlPlatform("mine", spec)

    result = assess_program(program, stack="dev", config={"aws:region": "us-east-1"}, echo=True)
    cost, policy = result["cost"], result["policy"]
    assert cost["cloud"] == "aws" and cost["region"] == "us-east-1"
    assert cost["monthly_usd"] > 0 and cost["complete"] is True
    assert policy["rules_checked"] > 0
    assert "policy:" in capsys.readouterr().out
