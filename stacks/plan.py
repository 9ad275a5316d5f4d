"""`pioneer plan`: the offline `pulumi preview` of a stack.

Runs the same stack program `pulumi up` runs, in-process under Pulumi's mock
monitor with the stack's config, and turns what was registered into a
document shaped like ``pulumi preview --json``. Everything downstream (cost,
policy, dry runs) takes either this document or a real preview's.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from components.spec import PlatformSpec
from stacks.config import addons_for, load_stack_config, resolve_stack, spec_from_stack
from stacks.mocks import PROJECT, MockRun, run_program
from stacks.program import addons_program, program


@dataclass
class Plan:
    stack: str
    path: Path
    spec: PlatformSpec
    run: MockRun

    @property
    def stack_urn(self) -> str:
        return f"urn:pulumi:{self.stack}::{PROJECT}::pulumi:pulumi:Stack::{PROJECT}-{self.stack}"


def mock_context(spec: PlatformSpec) -> dict[str, str]:
    """What the mocks need to answer like the target cloud (region, GCP project)."""
    ctx: dict[str, str] = {spec.cloud: spec.region}
    if spec.project:
        ctx["gcp_project"] = spec.project
    return ctx


def run_plan(ref: str | Path) -> Plan:
    """Validate the stack's config, then run its program under mocks.

    Raises `StackNotFound` or `SpecError` before anything runs.
    """
    stack, path, spec = spec_from_stack(ref)
    config = load_stack_config(path)
    target = addons_for(config)
    if target is None:
        run = run_program(program, stack=stack, config=config, region=mock_context(spec))
    else:
        # An add-ons stack reads the platform stack's outputs: plan that one first.
        platform = plan_outputs(path.parent / f"Pulumi.{target}.yaml")
        run = run_program(
            functools.partial(addons_program, spec, target),
            stack=stack,
            config=config,
            region=mock_context(spec),
            stack_outputs={target: platform},
        )
    return Plan(stack=stack, path=path, spec=spec, run=run)


def plan_outputs(ref: str | Path) -> dict[str, Any]:
    """The stack outputs of the offline plan (what a dry run submits against)."""
    return dict(run_plan(ref).run.outputs)


def preview_document(plan: Plan, *, show_secrets: bool = False) -> dict[str, Any]:
    """The plan as `pulumi preview --json` shapes it: steps, changeSummary, outputs, diagnostics."""
    root = {
        "op": "create",
        "urn": plan.stack_urn,
        "newState": {
            "type": "pulumi:pulumi:Stack",
            "urn": plan.stack_urn,
            "custom": False,
            "inputs": {},
        },
    }
    steps = [root] + [
        {"op": "create", "urn": r.urn, "newState": r.as_state(parent=plan.stack_urn)}
        for r in plan.run.resources
    ]
    outputs = {
        k: (v if show_secrets or k not in plan.run.secret_outputs else "[secret]")
        for k, v in plan.run.outputs.items()
    }
    return {
        "steps": steps,
        "changeSummary": {"create": len(steps)},
        "outputs": outputs,
        "diagnostics": [],
    }


def stack_names_in(ref: str | Path) -> tuple[str, Path]:
    return resolve_stack(ref)


__all__ = ["Plan", "run_plan", "preview_document", "load_stack_config"]
