"""`pioneer catalog show | refresh`: the dated price catalog, cheapest first."""

from __future__ import annotations

import os
from dataclasses import asdict

import typer
from rich.table import Table

from cost.accelerators import parse_accelerator
from cost.catalog import INTERRUPTION_RANGES, Offer, get_catalog
from cost.refresh import RefreshError, refresh
from cost.report import fit, short_source
from stacks.cli import app
from stacks.cli.common import console, fail, print_json, refuse_together, user_errors

catalog_app = typer.Typer(help="The dated, sourced price catalog.", no_args_is_help=True)
app.add_typer(catalog_app, name="catalog")

CLOUDS = ("aws", "gcp", "azure")


def _usd(v: float | None) -> str:
    return "—" if v is None else f"${v:,.3f}"


@catalog_app.command("show")
def show(
    accelerator: str = typer.Option(None, "--accelerator", help="e.g. H100, A100-80GB, TPU-v5e"),
    cloud: str = typer.Option(None, "--cloud", help="aws | gcp | azure"),
    region: str = typer.Option(None, "--region"),
    count: int = typer.Option(None, "--count", help="Accelerators per node."),
    spot: bool = typer.Option(
        False, "--spot", help="Sort by spot price (offers without one last)."
    ),
    limit: int = typer.Option(25, "--limit", help="Rows to print (0 = all)."),
    services: bool = typer.Option(
        False,
        "--services",
        help="Show the non-instance prices (control planes, storage, network, ...) instead.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Offers from the shipped snapshot, cheapest first, each with its source and date."""
    if services:  # service prices have no accelerator, count or spot price to filter by
        refuse_together(
            **{"--services": True, "--accelerator": accelerator is not None},
        )
        refuse_together(**{"--services": True, "--count": count is not None})
        refuse_together(**{"--services": True, "--spot": spot})
    cat = get_catalog()
    if cloud is not None and cloud not in CLOUDS:
        fail(f"--cloud: {cloud!r} is not one of {', '.join(CLOUDS)}")
    if limit < 0:
        fail(f"--limit: {limit} is negative; give a number of rows, or 0 for all")
    if region is not None:
        known_regions = sorted(
            {r for c in CLOUDS if cloud in (None, c) for r in cat.regions(c)}
            | {sp.region for sp in cat.service_prices(cloud) if sp.region}
        )
        if region not in known_regions:
            fail(
                f"--region: the catalog has no {cloud + ' ' if cloud else ''}region {region!r}; "
                f"regions: {', '.join(known_regions)}"
            )
    if accelerator is not None:
        try:
            accelerator, per_node = parse_accelerator(accelerator)
        except ValueError as e:
            fail(f"--accelerator: {e}")
        if per_node is not None and count not in (None, per_node):
            fail(f"--accelerator {per_node} per node and --count {count} disagree; give one")
        count = per_node if per_node is not None else count
    if services:
        rows = [
            p for p in cat.service_prices(cloud) if region is None or p.region in (None, region)
        ]
        if json_out:
            print_json(rows)
            return
        t = Table(title="service prices")
        for col in ("cloud", "price", "region", "usd", "unit", "source", "date"):
            t.add_column(col, no_wrap=col != "source")
        for sp in rows:
            t.add_row(
                sp.cloud,
                sp.key,
                sp.region or "all",
                f"{sp.usd:g}",
                sp.unit,
                short_source(sp.source),
                sp.date,
            )
        console.print(t)
        return
    offers = cat.offers_for(cloud, region, accelerator, count)
    if not offers:
        known = sorted({o.accelerator for o in cat.offers})
        fail(
            f"no offers match (accelerator {accelerator or 'any'}, cloud {cloud or 'any'}, "
            f"region {region or 'any'}, count {count or 'any'}); accelerators: {', '.join(known)}"
        )

    def key(o: Offer) -> tuple[bool, float]:
        p = o.price(spot)
        return (p is None, p if p is not None else 0.0)

    offers.sort(key=key)
    shown = offers if limit == 0 else offers[:limit]
    if json_out:
        print_json(
            {
                "offers": [{**asdict(o), "spot_suspect": o.spot_suspect} for o in shown],
                "matched": len(offers),
                "sorted_by": "spot" if spot else "on_demand",
                "catalog_dates": cat.dates(),
            }
        )
        return
    t = Table(
        title=f"offers, cheapest {'spot' if spot else 'on-demand'} first "
        f"({len(shown)} of {len(offers)})"
    )
    for col in (
        "cloud",
        "region",
        "instance type",
        "accel",
        "on-demand $/h",
        "spot $/h",
        "$/accel-h",
        "interrupt",
        "source (date)",
    ):
        t.add_column(col, no_wrap=col not in ("instance type", "source (date)"))
    for o in shown:
        p = o.price(spot)
        per = f"${p / o.accelerator_count:,.3f}" if p is not None and o.accelerator_count else "—"
        interrupt = (
            INTERRUPTION_RANGES[o.interruption_bucket] if o.interruption_bucket is not None else ""
        )
        t.add_row(
            o.cloud,
            o.region,
            o.instance_type,
            f"{o.accelerator_count}x{o.accelerator}",
            _usd(o.on_demand_usd_per_hour),
            _usd(o.spot_usd_per_hour) + (" ?" if o.spot_suspect else ""),
            per,
            interrupt,
            f"{o.source.split(' ')[0]} ({o.date})",
        )
    if any(o.spot_suspect for o in shown):
        t.caption = (
            "? = suspect spot price: below a plausible fraction of on-demand (--json: spot_suspect)"
        )
    keep = ("cloud", "region", "instance type", "on-demand $/h", "spot $/h", "$/accel-h")
    drop = ("source (date)", "interrupt", "accel", "$/accel-h")
    console.print(fit(t, console.width, keep=keep, drop=drop))


@catalog_app.command("refresh")
def refresh_cmd(
    cloud: str = typer.Option(..., "--cloud", help="aws | gcp | azure"),
    region: str = typer.Option(None, "--region", help="One region (required for aws)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Rebuild the snapshot's offers for one cloud from its public pricing API (online only)."""
    if cloud not in CLOUDS:
        fail(f"--cloud: {cloud!r} is not one of {', '.join(CLOUDS)}")
    with user_errors(RefreshError), console.status(f"reading {cloud} prices ..."):
        result = refresh(cloud, region, gcp_api_key=os.environ.get("GOOGLE_API_KEY"))
    if json_out:
        print_json(result)
    else:
        console.print(
            f"refreshed {result['offers_refreshed']} {cloud} offers "
            f"(dated {result['date']}) into {result['path']}"
        )
