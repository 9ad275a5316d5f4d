"""The plan → estimate → policy join: what `pioneer plan` and `pioneer cost` show for a stack.

It lives in `stacks/` because it needs all three layers below: the offline plan
(`stacks.plan`), the cost model (`cost.estimate`) and the policy rules
(`components.policy`). The packages below never import it.

From your own program, in one call (the library user's `pioneer plan`)::

    from stacks.assess import assess_program
    result = assess_program(my_program, stack="dev", config={"aws:region": "us-east-1"})
    result["cost"]["monthly_usd"], result["policy"]["mandatory"]
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from components.policy import evaluate
from components.spec import PlatformSpec, cloud_warnings
from cost.estimate import estimate_preview, estimate_spec, preview_stack
from cost.input_file import read_input
from cost.usage import Usage, load_usage
from plan_document import parse_preview
from stacks.config import (
    StackNotFound,
    load_stack_config,
    platform_config,
    provider_region,
    resolve_stack,
)
from stacks.mocks import run_program
from stacks.plan import Plan, mock_context, preview_document, run_plan


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
    doc["diagnostics"] = spec_diagnostics(plan)
    usage = stack_usage(plan)
    usage.check_pools(plan.spec)  # usage values outside a pool's limits are errors
    doc["cost"] = estimate_preview(doc, usage)
    doc["policy"] = evaluate(doc, plan.spec)
    return PlanReport(plan=plan, document=doc)


def spec_diagnostics(plan: Plan) -> list[dict[str, Any]]:
    """The spec's warnings as `pulumi preview --json` diagnostics (what `pulumi up` logs)."""
    return [
        {"urn": plan.stack_urn, "message": w, "severity": "warning"}
        for w in cloud_warnings(plan.spec)
    ]


def estimate_stack(stack: str | Path, usage_file: str | Path | None = None) -> dict[str, Any]:
    """Plan a stack offline (`pioneer plan`) and price it, with its usage file if it has one."""
    given = load_usage(usage_file) if usage_file else None  # a bad file fails before the plan
    plan = run_plan(stack)
    usage = given or stack_usage(plan)
    est = estimate_preview(preview_document(plan), usage)
    est["stack"] = plan.stack
    # the pools again from the spec: adds the cost if every pool ran at its maximum
    est["node_pools"] = estimate_spec(plan.spec, usage)
    return est


def preview_region(doc: Mapping[str, Any], region: str | None) -> str | None:
    """--region, else the provider config of the preview's stack in the current project
    (a real preview of an unchanged stack omits its provider step, as Infracost knows)."""
    if region:
        return region
    stack = preview_stack(doc)
    try:
        _, path = resolve_stack(stack) if stack else ("", None)
    except StackNotFound:
        return None
    return provider_region(load_stack_config(path)) if path else None


def estimate_ref(
    ref: str,
    usage_file: str | Path | None = None,
    *,
    preview: bool = False,
    region: str | None = None,
) -> dict[str, Any]:
    """`pioneer cost REF`: a stack name / stack file, or a `pulumi preview --json` file (*.json)."""
    if preview or ref.endswith(".json"):
        doc = json.loads(read_input(Path(ref), "preview file", kind="json"))
        parse_preview(doc)  # fail early, naming the step, if it is not a preview document
        est = estimate_preview(doc, load_usage(usage_file), region=preview_region(doc, region))
        est["stack"] = Path(ref).name
        return est
    return estimate_stack(ref, usage_file)


def estimate_stacks(stacks: list[str]) -> dict[str, dict[str, Any]]:
    """Estimates of several stacks (each with its usage file), for a side-by-side table:
    ``cost.report.side_by_side_table(estimate_stacks(["aws-dev", "gcp-dev", "azure-dev"]))``."""
    return {e["stack"]: e for e in (estimate_stack(s) for s in stacks)}


# Provider config key -> the cloud the mocks answer for.
_CLOUD_OF_KEY = {"aws:region": "aws", "gcp:region": "gcp", "azure-native:location": "azure"}


def assess_program(
    program: Callable[[], None],
    *,
    stack: str = "dev",
    config: Mapping[str, Any] | None = None,
    spec: PlatformSpec | None = None,
    usage: Usage | Mapping[str, Any] | None = None,
    echo: bool = False,
) -> dict[str, Any]:
    """Run `program` offline and return ``{"cost", "policy", "document"}``.

    `config` holds full Pulumi keys (``aws:region``, ``pioneer:cloud``); with `pioneer:` keys
    (or `spec`) the spec-aware rules run too. `echo` prints the one-line summary `pioneer
    plan` prints.
    """
    cfg = dict(config or {})
    if spec is None and any(str(k).startswith("pioneer:") for k in cfg):
        spec = PlatformSpec.parse(platform_config(cfg))
    regions = (
        mock_context(spec)
        if spec
        else {cloud: str(cfg[key]) for key, cloud in _CLOUD_OF_KEY.items() if cfg.get(key)}
    )
    run = run_program(program, stack=stack, config=cfg, region=regions)
    # preview_document reads only the run and the stack name, never the spec
    doc = preview_document(Plan(stack, Path("."), cast(PlatformSpec, spec), run))
    doc["cost"] = estimate_preview(doc, usage, region=provider_region(cfg))
    doc["policy"] = evaluate(doc, spec)
    if echo:  # the summary `pioneer plan` prints, as plain text
        pol, cost = doc["policy"], doc["cost"]
        print(
            f"policy: {len(pol.get('violations', []))} finding(s) from "
            f"{pol.get('rules_checked', 0)} rules; cost ${cost.get('monthly_usd') or 0:,.2f}/month"
            + ("" if cost.get("complete", True) else " (INCOMPLETE: some compute not priced)")
        )
    return {"cost": doc["cost"], "policy": doc["policy"], "document": doc}
