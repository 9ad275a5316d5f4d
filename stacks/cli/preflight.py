"""`pioneer preflight STACK`: the quotas the stack needs, and (with --live) whether it has them."""

from __future__ import annotations

import os

import typer
from rich.table import Table

from stacks.cli import app
from stacks.cli.common import console, fail, print_json, user_errors

EXIT_RAISE = 3  # a quota must be raised before `pulumi up` (2 stays "bad input")


def _reader(cloud: str, spec: object, subscription: str | None) -> object:
    from stacks.preflight import aws, azure, gcp

    if cloud == "aws":
        return aws.ServiceQuotasReader.for_region(spec.region)  # type: ignore[attr-defined]
    if cloud == "gcp":
        return gcp.ComputeQuotaReader.default(spec.project)  # type: ignore[attr-defined]
    sub = subscription or os.environ.get("AZURE_SUBSCRIPTION_ID")
    if not sub:
        fail("--live on azure needs --subscription ID or AZURE_SUBSCRIPTION_ID")
    return azure.UsageReader.default(sub)


@app.command("preflight")
def preflight_cmd(
    stack: str = typer.Argument(..., help="Stack name (stacks/Pulumi.<stack>.yaml) or file."),
    live: bool = typer.Option(
        False, "--live", help="Read the current limits with this machine's cloud credentials."
    ),
    subscription: str = typer.Option(None, "--subscription", help="Azure subscription id."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Every quota the stack's pools need at max_nodes; with --live, which to raise and how.

    Also checks how `pulumi up` reaches the cluster API (authorized_cidrs, add-ons stack).
    Exit status: 0 when nothing must be done, 3 when a quota is too low or API access
    must be set first.
    """
    from stacks.config import spec_from_stack
    from stacks.preflight import check, needs
    from stacks.preflight.access import access_checks

    with user_errors():
        name, path, spec = spec_from_stack(stack)
    access = access_checks(spec, name, path)
    items = needs(spec)
    reader = _reader(spec.cloud, spec, subscription) if live else None
    results = check(items, reader)  # type: ignore[arg-type]
    short = [r for r in results if r.status == "raise"]
    to_set = [a for a in access if a.status == "set"]
    if json_out:
        print_json({"stack": name, "cloud": spec.cloud, "live": live,
                    "quotas": [r.to_json() for r in results],
                    "access": [a.to_json() for a in access]})  # fmt: skip
    else:
        table = Table(
            title=f"{name}: quotas needed at max_nodes ({spec.cloud} {spec.region})",
            caption="* a global (all-regions) quota" if any(
                r.need.scope == "global" for r in results) else None,
        )  # fmt: skip
        # Quota names and numbers never wrap; the pool list folds first.
        # Offline there is no limit to show: those columns would be all "-".
        cols = ("quota", "needed", "limit", "status", "pools") if live else (
            "quota", "needed", "pools")  # fmt: skip
        for col in cols:
            table.add_column(col, no_wrap=True)
        for r in results:
            n = r.need
            cells = {"quota": n.name + ("*" if n.scope == "global" else ""),
                     "needed": f"{n.needed:g} {n.unit}",
                     "limit": "-" if r.limit is None else f"{r.limit:g}",
                     "status": r.status, "pools": "\n".join(n.pools)}  # fmt: skip
            table.add_row(*(cells[c] for c in cols))
        console.print(table)
        todo = short if live else results
        for r in todo:
            note = f" [{r.note}]" if r.note and live else ""
            title = f" ({r.need.title})" if r.need.title != r.need.name else ""
            console.print(f"- {r.need.name}{title}: {r.need.how}{note}", highlight=False)
        if not live:
            console.print(
                "Offline: limits not read. New accounts often start at 0 for GPU quotas; "
                "`pioneer preflight STACK --live` reads them with your credentials."
            )
        for a in access:
            mark = {"ok": "ok", "set": "SET BEFORE DEPLOY", "note": "note"}[a.status]
            console.print(f"- API access, {a.item}: {mark}: {a.detail}", highlight=False)
            if a.how:
                console.print(f"    {a.how}", highlight=False, soft_wrap=True)
    if short or to_set:
        raise typer.Exit(EXIT_RAISE)
