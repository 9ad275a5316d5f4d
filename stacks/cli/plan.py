"""`pioneer plan STACK`: offline preview — resource tree, summary, JSON like `pulumi preview --json`."""

from __future__ import annotations

from typing import Any

import typer
from rich.tree import Tree

from stacks.cli import app
from stacks.cli.common import console, print_json, user_errors
from stacks.config import list_stacks
from stacks.plan import Plan, preview_document, run_plan

# Inputs worth a glance in the tree, in the order they are shown.
KEY_PROPS = (
    "region", "location", "cidrBlock", "ipCidrRange", "instanceTypes", "capacityType", "amiType",
    "machineType", "vmSize", "scaleSetPriority", "vmPriority", "spot", "scalingConfig",
    "autoscaling", "count", "minCount", "maxCount", "enableKeyRotation", "rotationPeriod",
    "sseAlgorithm", "publicAccessPrevention", "allowBlobPublicAccess", "minimumTlsVersion",
    "enablePurgeProtection", "adminUserEnabled", "service", "role", "roleDefinitionId",
)


def _summary(inputs: dict[str, Any]) -> str:
    parts = []
    for key in KEY_PROPS:
        if key in inputs and inputs[key] not in (None, "", [], {}):
            value = inputs[key]
            text = value if isinstance(value, str) else str(value)
            parts.append(f"{key}={text[:60]}")
        if len(parts) == 3:
            break
    return "  ".join(parts)


def render_tree(plan: Plan) -> Tree:
    tree = Tree(f"[bold]{plan.stack}[/] ({plan.spec.cloud}, {plan.spec.region})  "
                f"[dim]pulumi:pulumi:Stack[/]")
    nodes: dict[str, Tree] = {}
    for r in plan.run.resources:
        parent = nodes.get(r.parent, tree)
        style = "cyan" if not r.custom else "green"
        label = f"[{style}]+ {r.type}[/] [bold]{r.name}[/]"
        detail = _summary(r.inputs)
        if detail:
            label += f"  [dim]{detail}[/]"
        nodes[r.urn] = parent.add(label)
    return tree


@app.command()
def plan(
    stacks: list[str] = typer.Argument(None, help="Stack names from stacks/ or paths to Pulumi.<name>.yaml files."),
    all_stacks: bool = typer.Option(False, "--all", help="Plan every stack in stacks/."),
    json_out: bool = typer.Option(False, "--json", help="Print the plan as `pulumi preview --json` does."),
    show_secrets: bool = typer.Option(False, "--show-secrets", help="Show secret outputs in --json."),
) -> None:
    """Preview a stack offline (no credentials, no Pulumi CLI): resources, outputs."""
    refs = list_stacks() if all_stacks else list(stacks or [])
    if not refs:
        raise typer.BadParameter(f"give a stack ({', '.join(list_stacks())}) or --all")
    docs: dict[str, dict[str, Any]] = {}
    for ref in refs:
        with user_errors():
            p = run_plan(ref)
        doc = preview_document(p, show_secrets=show_secrets)
        docs[p.stack] = doc
        if not json_out:
            console.print(render_tree(p))
            console.print(f"[bold]{p.stack}[/]: {doc['changeSummary']['create']} to create\n")
    if json_out:
        print_json(next(iter(docs.values())) if len(docs) == 1 else docs)
