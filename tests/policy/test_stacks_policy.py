"""The shipped stacks pass every mandatory rule; weakened copies fail with the expected rule ids,
and `pioneer plan --enforce` exits non-zero naming them.

These run the real stack program under the mocks, through the CLI, with the cost estimate.
"""

from __future__ import annotations

import json

import pytest
import yaml
from typer.testing import CliRunner

from components.policy import RULES, evaluate
from components.policy.compute import is_gpu_pool
from components.policy.model import Resource
from stacks.cli import app
from stacks.config import STACKS_DIR
from tests.policy.helpers import EXPECTED, weakened

runner = CliRunner()
SHIPPED = ["aws-dev", "gcp-dev", "azure-dev"]


def plan(*args: str):
    return runner.invoke(app, ["plan", *args])


@pytest.mark.parametrize("stack", SHIPPED)
def test_shipped_stack_passes_every_mandatory_rule(stack, shipped_spec):
    result = plan(stack, "--json", "--enforce")
    doc = json.loads(result.stdout)
    mandatory = [v for v in doc["policy"]["violations"] if v["severity"] == "mandatory"]
    assert mandatory == [], json.dumps(mandatory, indent=1)
    assert result.exit_code == 0, result.output
    # Every rule ran to a verdict: the plan carries a cost estimate and the stack has a budget.
    assert doc["policy"]["skipped"] == []
    assert doc["policy"]["rules_checked"] == len(RULES)
    assert doc["cost"]["monthly_usd"] <= 5000

    # The pass is not vacuous: untaint the stack's GPU pools and untag everything, and it fails.
    states = [s["newState"] for s in doc["steps"]]
    gpu_pools = [s for s in states if is_gpu_pool(Resource.from_state(s))]
    assert gpu_pools, "the stack's GPU pool is not recognised as one"
    for s in gpu_pools:
        for holder, key in (
            (s["inputs"], "taints"),
            (s["inputs"].get("nodeConfig") or {}, "taints"),
            (s["inputs"], "nodeTaints"),
        ):
            holder.pop(key, None)
    for s in states:
        for key in ("tags", "labels", "resourceLabels", "defaultTags", "defaultLabels"):
            s["inputs"].pop(key, None)
    broken = evaluate(doc, shipped_spec(stack))
    failed = [v["urn"] for v in broken["violations"] if v["rule"] == "compute-gpu-taint"]
    assert sorted(failed) == sorted(s["urn"] for s in gpu_pools)
    assert any(v["rule"] == "tags-required" for v in broken["violations"])


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_weakened_stack_fails_with_the_expected_rules_and_enforce_names_them(tmp_path, cloud):
    result = plan(str(weakened(tmp_path, cloud)), "--json", "--enforce")
    assert result.exit_code == 1, result.output
    doc = json.loads(result.stdout)
    failed = {v["rule"] for v in doc["policy"]["violations"] if v["severity"] == "mandatory"}
    assert failed == EXPECTED
    assert f"weak-{cloud} violates mandatory rules: " in result.stderr
    for rule in EXPECTED:
        assert rule in result.stderr


def test_opt_in_and_a_budget_that_fits_leave_only_public_storage(tmp_path):
    path = weakened(tmp_path, "gcp", on_demand_opt_in=True)
    doc = yaml.safe_load(path.read_text())
    doc["config"]["pioneer:budget"]["monthly_usd"] = 1_000_000
    path.write_text(yaml.safe_dump(doc))
    result = plan(str(path), "--enforce")  # human output: the findings table
    assert result.exit_code == 1
    assert "violates mandatory rule: storage-no-public-access" in result.stderr
    assert "storage-no-public-access" in result.stdout and "cost-within-budget" not in result.stdout


def test_a_stack_without_budget_is_reported_not_failed(tmp_path):
    doc = yaml.safe_load((STACKS_DIR / "Pulumi.azure-dev.yaml").read_text())
    del doc["config"]["pioneer:budget"]
    path = tmp_path / "Pulumi.no-budget.yaml"
    path.write_text(yaml.safe_dump(doc))
    result = plan(str(path), "--enforce")
    assert result.exit_code == 0, result.output
    words = " ".join(result.stdout.split())  # the table title wraps at the terminal width
    assert "skipped cost-within-budget: the stack sets no budget" in words
    assert "cost-budget-defined" in result.stdout  # the advisory finding in the table
