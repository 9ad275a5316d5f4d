"""The plan → estimate → policy join: what `pioneer plan` and `pioneer cost` show for a stack.

It lives in `stacks/` because it needs all three layers below: the offline plan
(`stacks.plan`), the cost model (`cost.estimate`) and the policy rules
(`components.policy`). The packages below never import it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.policy import evaluate
from cost.estimate import estimate_preview, estimate_spec
from cost.usage import Usage, load_usage
from plan_document import load_preview
from stacks.plan import Plan, preview_document, run_plan


@dataclass
class PlanReport:
    """A planned stack with its preview document; the document carries `cost` and `policy`."""

    plan: Plan
    document: dict[str, Any]

    @property
    def cost(self) -> dict[str, Any]:
        return self.document["cost"]

    @property
    def policy(self) -> dict[str, Any]:
        return self.document["policy"]


def stack_usage(plan: Plan, usage_file: str | Path | None = None) -> Usage:
    """The usage file given, else ``usage.<stack>.yaml`` next to the stack config, else defaults."""
    return load_usage(usage_file, stack=plan.stack, directory=plan.path.parent)


def assess(plan: Plan, *, show_secrets: bool = False) -> PlanReport:
    """The plan as `pulumi preview --json` shapes it, priced, then judged by the policy rules
    (the cost goes in first: the budget rule reads it)."""
    doc = preview_document(plan, show_secrets=show_secrets)
    doc["cost"] = estimate_preview(doc, stack_usage(plan))
    doc["policy"] = evaluate(doc, plan.spec)
    return PlanReport(plan=plan, document=doc)


def estimate_stack(stack: str | Path, usage_file: str | Path | None = None) -> dict[str, Any]:
    """Plan a stack offline (`pioneer plan`) and price it, with its usage file if it has one."""
    plan = run_plan(stack)
    usage = stack_usage(plan, usage_file)
    est = estimate_preview(preview_document(plan), usage)
    est["stack"] = plan.stack
    # the pools again from the spec: adds the cost if every pool ran at its maximum
    est["node_pools"] = estimate_spec(plan.spec, usage)
    return est


def estimate_ref(ref: str, usage_file: str | Path | None = None) -> dict[str, Any]:
    """`pioneer cost REF`: a stack name / stack file, or a `pulumi preview --json` file (*.json)."""
    if ref.endswith(".json"):
        est = estimate_preview(load_preview(ref), load_usage(usage_file))
        est["stack"] = Path(ref).name
        return est
    return estimate_stack(ref, usage_file)


def estimate_stacks(stacks: list[str]) -> dict[str, dict[str, Any]]:
    """Estimates of several stacks (each with its usage file), for a side-by-side table:
    ``cost.report.side_by_side_table(estimate_stacks(["aws-dev", "gcp-dev", "azure-dev"]))``."""
    return {e["stack"]: e for e in (estimate_stack(s) for s in stacks)}
