"""`pioneer plan STACK`: offline preview — resource tree, policy findings, cost, and JSON like
`pulumi preview --json` with `cost` and `policy` keys added."""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import typer

from stacks.cli import app
from stacks.cli.common import console, err_console, print_json, progress, user_errors

if TYPE_CHECKING:
    from rich.table import Table
    from rich.tree import Tree

    from stacks.plan import Plan

# Inputs worth a glance in the tree, in the order they are shown.
KEY_PROPS = (
    "region",
    "location",
    "cidrBlock",
    "ipCidrRange",
    "instanceTypes",
    "capacityType",
    "amiType",
    "machineType",
    "vmSize",
    "scaleSetPriority",
    "vmPriority",
    "spot",
    "scalingConfig",
    "autoscaling",
    "count",
    "minCount",
    "maxCount",
    "enableKeyRotation",
    "rotationPeriod",
    "sseAlgorithm",
    "publicAccessPrevention",
    "allowBlobPublicAccess",
    "minimumTlsVersion",
    "enablePurgeProtection",
    "adminUserEnabled",
    "service",
    "role",
    "roleDefinitionId",
)


def _summary(inputs: Mapping[str, Any]) -> str:
    parts = []
    for key in KEY_PROPS:
        if key in inputs and inputs[key] not in (None, "", [], {}):
            value = inputs[key]
            text = value if isinstance(value, str) else str(value)
            parts.append(f"{key}={text[:60]}")
        if len(parts) == 3:
            break
    return "  ".join(parts)


def display_type(token: str) -> str:
    """A type token as the Pulumi CLI shows it: ``aws:s3/bucketPolicy:BucketPolicy`` ->
    ``aws:s3:BucketPolicy`` (Kubernetes API versions stay). The full tokens (up to ~90
    characters) split mid-word in an 80-column terminal; the JSON document keeps them."""
    parts = token.split(":")
    if len(parts) == 3 and "/" in parts[1]:
        module, file = parts[1].split("/", 1)
        # only the file part that repeats the name; `kubernetes:apps/v1:Deployment` keeps v1
        if file.lower() == parts[2].lower():
            return f"{parts[0]}:{module}:{parts[2]}"
    return token


def render_tree(plan: Plan) -> Tree:
    from rich.tree import Tree

    tree = Tree(
        f"[bold]{plan.stack}[/] ({plan.spec.cloud}, {plan.spec.region})  "
        f"[dim]pulumi:pulumi:Stack[/]"
    )
    nodes: dict[str, Tree] = {}
    for r in plan.run.resources:
        parent = nodes.get(r.parent or "", tree)
        style = "cyan" if not r.custom else "green"
        label = f"[{style}]+ {display_type(r.type)}[/] [bold]{r.name}[/]"
        detail = _summary(r.inputs)
        if detail:
            label += f"  [dim]{detail}[/]"
        nodes[r.urn] = parent.add(label)
    return tree


def render_policy(stack: str, result: dict[str, Any], doc: dict[str, Any]) -> Table | str:
    from rich.markup import escape
    from rich.table import Table

    cost = doc.get("cost") or {}
    money = (
        f"  estimate ${cost['monthly_usd']:,.2f}/month"
        if cost.get("monthly_usd") is not None
        else ""
    )
    if cost.get("unpriced_compute"):
        from cost.report import incomplete_note

        money += f" [red]{escape(incomplete_note(cost))}[/]"
    head = (
        f"[bold]{stack}[/] policy: [{'red' if result['mandatory'] else 'green'}]"
        f"{result['mandatory']} mandatory[/], {result['advisory']} advisory "
        f"({result['rules_checked']} rules checked"
        + "".join(f"; skipped {s['rule']}: {escape(s['reason'])}" for s in result["skipped"])
        + f"){money}"
    )
    if not result["violations"]:
        return head
    table = Table(title=head, title_justify="left", show_lines=False)
    table.add_column("severity", no_wrap=True)
    table.add_column("rule", no_wrap=True)
    table.add_column("finding", overflow="fold", ratio=1)
    for v in result["violations"]:
        style = "red" if v["severity"] == "mandatory" else "yellow"
        # the message names the resource; escaped because names may hold [brackets]
        table.add_row(f"[{style}]{v['severity']}[/]", v["rule"], escape(v["message"]))
    return table


@app.command()
def plan(
    stacks: list[str] = typer.Argument(
        None, help="Stack names from stacks/ or paths to Pulumi.<name>.yaml files."
    ),
    all_stacks: bool = typer.Option(False, "--all", help="Plan every stack in stacks/."),
    json_out: bool = typer.Option(
        False, "--json", help="Print the plan as `pulumi preview --json` does."
    ),
    show_secrets: bool = typer.Option(
        False, "--show-secrets", help="Show secret outputs in --json."
    ),
    enforce: bool = typer.Option(
        False, "--enforce", help="Exit 1 when any mandatory policy rule is violated."
    ),
) -> None:
    """Preview a stack offline (no credentials, no Pulumi CLI): resources, policy findings, cost."""
    from rich.markup import escape

    from components.policy import mandatory_rule_ids
    from stacks.assess import assess
    from stacks.config import list_stacks, spec_from_stack
    from stacks.plan import run_plan

    with user_errors():
        refs = list_stacks() if all_stacks else list(stacks or [])
        if not refs:
            raise typer.BadParameter(f"give a stack ({', '.join(list_stacks())}) or --all")
        for ref in refs:  # every name and config is checked before the first (slow) plan runs
            spec_from_stack(ref)
    docs: dict[str, dict[str, Any]] = {}
    for i, ref in enumerate(refs, 1):
        progress(i, len(refs), f"planning {ref}")
        with user_errors():  # a broken stack config or usage file is the user's to fix
            p = run_plan(ref)
            doc = assess(p, show_secrets=show_secrets).document
        docs[p.stack] = doc
        if not json_out:
            console.print(render_tree(p))
            console.print(f"[bold]{p.stack}[/]: {doc['changeSummary']['create']} to create")
            for d in doc["diagnostics"]:
                console.print(f"[yellow]warning:[/] {escape(d['message'])}", soft_wrap=True)
            findings = render_policy(p.stack, doc["policy"], doc)
            console.print(findings, soft_wrap=isinstance(findings, str))
            console.print()
    if json_out:
        print_json(next(iter(docs.values())) if len(docs) == 1 else docs)
    if enforce:
        failing = {name: mandatory_rule_ids(doc["policy"]) for name, doc in docs.items()}
        failing = {name: ids for name, ids in failing.items() if ids}
        if failing:
            for name, ids in failing.items():
                err_console.print(
                    f"[bold red]policy:[/] {name} violates mandatory rule"
                    f"{'s' if len(ids) > 1 else ''}: {', '.join(ids)}",
                    highlight=False,
                    soft_wrap=True,
                )
            raise typer.Exit(1)
