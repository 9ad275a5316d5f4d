"""Estimates as tables (rich, for the terminal) and as Markdown (a pull-request comment)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from rich.table import Column, Table
from rich.text import Text


def fit(table: Table, width: int, keep: Sequence[str], drop: Sequence[str]) -> Table:
    """The table narrowed to `width` columns of terminal: `keep` columns (money, names) never
    wrap or truncate; `drop` columns (low value first) are removed until the rest fits."""

    def need(col: Column) -> int:
        cells = [col.header, *col.cells]
        return max(
            (Text.from_markup(c) if isinstance(c, str) else c).cell_len
            for c in cells
            if isinstance(c, (str, Text))
        )

    def total() -> int:  # cell padding (1 each side) and one border per column, plus one;
        # columns that may fold count at a readable minimum, not their longest cell
        return (
            sum((need(c) if c.header in keep else min(need(c), 12)) + 3 for c in table.columns) + 1
        )

    for name in drop:
        if total() <= width:
            break
        table.columns[:] = [c for c in table.columns if c.header != name]
    for col in table.columns:
        if col.header in keep:
            col.no_wrap, col.min_width = True, need(col)
        else:
            col.overflow = "fold"
    return table


def _usd(v: float | None, digits: int = 2) -> str:
    return "—" if v is None else f"${v:,.{digits}f}"


def _qty(line: Mapping[str, Any]) -> str:
    if line["quantity"] is None:
        return ""
    return f"{line['quantity']:,.4g} {line['unit']}"


def short_source(src: str | None) -> str:
    """The source without its explanation: a URL without scheme, or a dataset's first word."""
    if not src:
        return ""
    return src.removeprefix("https://").split(" ")[0]


def incomplete_note(est: Mapping[str, Any]) -> str:
    """'' for a complete estimate, else what its total leaves out (said next to every total)."""
    missing = est.get("unpriced_compute") or []
    if not missing:
        return ""
    names = ", ".join(m["name"] for m in missing[:3]) + (", ..." if len(missing) > 3 else "")
    return f"INCOMPLETE: {len(missing)} compute resource(s) not priced ({names})"


def _what(line: Mapping[str, Any]) -> str:
    if line["status"] == "free":
        return f"free: {line['reason']}"
    if line["status"] == "not_priced":
        return f"NOT PRICED: {line['reason']}"
    text = "; ".join(line["notes"][:2])
    if line["unpriced_parts"]:
        text = ("not priced: " + "; ".join(line["unpriced_parts"]) + ". " + text).strip()
    return text


def estimate_table(
    est: Mapping[str, Any], *, show_free: bool = False, title: str | None = None
) -> Table:
    """Per-resource lines (priced and not priced; free ones on request), with sources."""
    t = Table(
        title=title or f"monthly estimate: {est.get('stack') or est.get('cloud') or 'plan'}",
        show_lines=False,
    )
    for col, just in (
        ("resource", "left"),
        ("type", "left"),
        ("quantity", "right"),
        ("hourly", "right"),
        ("monthly", "right"),
        ("kWh/mo", "right"),
        ("kgCO2e/mo", "right"),
        ("price source (date)", "left"),
        ("note", "left"),
    ):
        t.add_column(col, justify=just, overflow="fold")  # type: ignore[arg-type]
    lines = sorted(est["lines"], key=lambda ln: -(ln["monthly_usd"] or 0))
    for ln in lines:
        if ln["status"] == "free" and not show_free:
            continue
        src = (
            f"{short_source(ln['price_source'])} ({ln['price_date']})" if ln["price_source"] else ""
        )
        style = "red" if ln["status"] == "not_priced" else None
        kwh, kg = _energy_cells(ln.get("energy"))
        t.add_row(
            ln["name"],
            ln["type"].split(":")[-1],
            _qty(ln),
            _usd(ln["hourly_usd"], 3),
            _usd(ln["monthly_usd"]),
            kwh,
            kg,
            src,
            _what(ln)[:90],
            style=style,
        )
    free = est["counts"]["free"]
    gap = incomplete_note(est)
    t.caption = (
        f"total {_usd(est['monthly_usd'])}/month{'  ·  ' + gap if gap else ''}  ·  "
        f"{est['counts']['priced']} priced, "
        f"{est['counts']['partly_priced']} partly, {est['counts']['not_priced']} not "
        f"priced, {free} free{'' if show_free else ' (hidden; --show-free)'}  ·  "
        f"prices dated {est['catalog_date']}  ·  usage: {est['usage']['source']}"
    )
    if est.get("energy"):
        e = est["energy"]
        t.caption += (
            f"\nenergy {e['kwh']:,.1f} kWh/month, {e['kg_co2e']:,.1f} kgCO2e/month "
            f'over {e["lines_estimated"]} compute line(s); "n/e" = not estimated '
            f"({e['lines_without_energy_data']} without public energy data"
            + (
                f", {len(e['not_estimated'])} compute line(s) without figures"
                if e["not_estimated"]
                else ""
            )
            + ")"
        )
    return t


def _energy_cells(energy: Mapping[str, Any] | None) -> tuple[str, str]:
    if not energy:
        return "", ""
    kwh = "n/e" if energy["kwh"] is None else f"{energy['kwh']:,.1f}"
    kg = "n/e" if energy["kg_co2e"] is None else f"{energy['kg_co2e']:,.1f}"
    return kwh, kg


def energy_footnote(est: Mapping[str, Any]) -> list[str]:
    """The factors behind the kWh and kgCO2e columns (name = value unit: source, date), and
    the compute lines that have no figure, with the reason."""
    e = est.get("energy")
    if not e:
        return []
    out = ["energy factors (kWh = node W x hours x PUE / 1000; kgCO2e = kWh x grid g/kWh / 1000):"]
    out += [
        f"  {f['name']} = {f['value']:g} {f['unit']}: {f['source']} ({f['date']})"
        for f in e["factors"]
    ]
    out += [f"  not estimated: {m['name']}: {m['reason']}" for m in e["not_estimated"]]
    return out


def components_table(est: Mapping[str, Any]) -> Table:
    t = Table(title="subtotals per component")
    t.add_column("component")
    t.add_column("resources", justify="right")
    t.add_column("not priced", justify="right")
    t.add_column("monthly", justify="right")
    for c in est["components"]:
        t.add_row(c["component"], str(c["resources"]), str(c["not_priced"]), _usd(c["monthly_usd"]))
    t.add_row("[bold]total[/]", "", "", f"[bold]{_usd(est['monthly_usd'])}[/]")
    return t


def side_by_side_table(estimates: Mapping[str, Mapping[str, Any]]) -> Table:
    """One table comparing several stacks: control plane, compute, storage, network, other."""
    groups = side_by_side(estimates)
    t = Table(title="monthly cost per stack (USD)")
    t.add_column("")
    for name in estimates:
        t.add_column(name, justify="right")
    for group, values in groups["rows"].items():
        missing = groups["not_priced"][group]
        t.add_row(
            group,
            *(
                _usd(values[n]) + (f" + {missing[n]} not priced" if missing[n] else "")
                for n in estimates
            ),
        )
    t.add_row(
        "[bold]total[/]", *(f"[bold]{_usd(estimates[n]['monthly_usd'])}[/]" for n in estimates)
    )
    if all(e.get("energy") for e in estimates.values()):
        t.add_row(
            "kWh / month (compute)", *(f"{estimates[n]['energy']['kwh']:,.1f}" for n in estimates)
        )
        t.add_row(
            "kgCO2e / month (compute)",
            *(f"{estimates[n]['energy']['kg_co2e']:,.1f}" for n in estimates),
        )
    t.add_row("not priced", *(str(estimates[n]["counts"]["not_priced"]) for n in estimates))
    t.add_row("prices dated", *(str(estimates[n]["catalog_date"]) for n in estimates))
    return t


# Which resource types roll up into which row of the side-by-side table.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Kubernetes control plane", ("eks/cluster:", "container/cluster:", ":ManagedCluster")),
    (
        "node pools / compute",
        (
            "nodeGroup:",
            "nodePool:",
            ":AgentPool",
            "machinelearningservices:Compute",
            "instance:Instance",
            ":VirtualMachine",
        ),
    ),
    ("object storage", ("s3/bucket", "storage/bucket:", ":StorageAccount")),
    (
        "network (NAT, IPs, LB, DNS)",
        (
            "natGateway",
            "routerNat",
            ":NatGateway",
            "eip:",
            "PublicIP",
            "oadBalancer",
            "PrivateEndpoint",
            "vpcEndpoint",
            "privatedns:",
            "route53/zone",
            "dns/managedZone",
        ),
    ),
)


def resource_group(type_: str) -> str:
    """The row of the side-by-side table a resource type rolls up into."""
    for name, needles in GROUPS:
        if any(n in type_ for n in needles):
            return name
    return "other (keys, registry, logs, ML)"


_group = resource_group


def side_by_side(estimates: Mapping[str, Mapping[str, Any]]) -> dict[str, Any]:
    names = [g for g, _ in GROUPS] + ["other (keys, registry, logs, ML)"]
    rows = {g: {n: 0.0 for n in estimates} for g in names}
    unpriced = {g: {n: 0 for n in estimates} for g in names}
    for stack, est in estimates.items():
        for ln in est["lines"]:
            if ln["status"] in ("not_priced", "partly_priced"):
                unpriced[_group(ln["type"])][stack] += 1
            if ln["type"] == "azure-native:containerservice:ManagedCluster":
                # inline agent pools are compute; the tier fee is the control plane
                for ch in ln["charges"]:
                    g = names[0] if "control plane" in ch["name"] else names[1]
                    rows[g][stack] = round(rows[g][stack] + ch["monthly_usd"], 2)
                continue
            g = _group(ln["type"])
            rows[g][stack] = round(rows[g][stack] + (ln["monthly_usd"] or 0.0), 2)
    return {
        "rows": rows,
        "not_priced": unpriced,
        "total": {n: e["monthly_usd"] for n, e in estimates.items()},
        "energy": {
            n: {"kwh": e["energy"]["kwh"], "kg_co2e": e["energy"]["kg_co2e"]}
            for n, e in estimates.items()
            if e.get("energy")
        },
    }


def compare_table(cmp: Mapping[str, Any]) -> Table:
    a, b = cmp["a"], cmp["b"]
    t = Table(title=f"cost change: {a} -> {b}")
    t.add_column("resource type")
    t.add_column(a, justify="right")
    t.add_column(b, justify="right")
    t.add_column("change", justify="right")
    for r in cmp["by_type"]:
        if r[a] == 0 and r[b] == 0:
            continue
        t.add_row(r["type"], _usd(r[a]), _usd(r[b]), f"{r['diff_usd']:+,.2f}")
    pct = f" ({cmp['diff_pct']:+.1f}%)" if cmp["diff_pct"] is not None else ""
    t.add_row(
        "[bold]total[/]",
        _usd(cmp["monthly_usd"][a]),
        _usd(cmp["monthly_usd"][b]),
        f"[bold]{cmp['diff_usd']:+,.2f}{pct}[/]",
    )
    if cmp.get("kg_co2e"):
        kg = cmp["kg_co2e"]
        t.add_row(
            "kgCO2e / month (compute)",
            f"{kg[a]:,.1f}",
            f"{kg[b]:,.1f}",
            f"{cmp['diff_kg_co2e']:+,.1f}",
        )
    return t


def markdown(est: Mapping[str, Any], *, compare: Mapping[str, Any] | None = None) -> str:
    """A pull-request comment: total, per-component subtotals, priced and unpriced lines."""
    name = est.get("stack") or est.get("cloud") or "plan"
    out = [
        f"### 💰 pioneer cost estimate: `{name}`",
        "",
        f"**{_usd(est['monthly_usd'])} / month** ({est['cloud']}, {est['region']}) · "
        f"prices dated {est['catalog_date']} · usage: `{est['usage']['source']}`",
        "",
    ]
    if incomplete_note(est):
        out += [f"**{incomplete_note(est)}**: the total leaves them out.", ""]
    if compare:
        pct = f" ({compare['diff_pct']:+.1f}%)" if compare["diff_pct"] is not None else ""
        out += [f"Change vs `{compare['a']}`: **{compare['diff_usd']:+,.2f} USD/month{pct}**", ""]
    if est.get("energy"):
        e = est["energy"]
        out += [
            f"Energy: **{e['kwh']:,.1f} kWh / month**, **{e['kg_co2e']:,.1f} kgCO2e / "
            f"month** (compute node-hours at training load; {len(e['not_estimated'])} "
            "compute line(s) not estimated)",
            "",
        ]
    out += ["| component | resources | monthly |", "| --- | ---: | ---: |"]
    out += [
        f"| {c['component']} | {c['resources']} | {_usd(c['monthly_usd'])} |"
        for c in est["components"]
    ]
    out += [
        "",
        "| resource | type | quantity | monthly | price source (date) |",
        "| --- | --- | ---: | ---: | --- |",
    ]
    for ln in sorted(est["lines"], key=lambda ln: -(ln["monthly_usd"] or 0)):
        if ln["status"] in ("priced", "partly_priced"):
            out.append(
                f"| `{ln['name']}` | `{ln['type']}` | {_qty(ln)} | "
                f"{_usd(ln['monthly_usd'])} | {ln['price_source']} ({ln['price_date']}) |"
            )
    unpriced = [ln for ln in est["lines"] if ln["status"] in ("not_priced", "partly_priced")]
    if unpriced:
        out += ["", "**Not priced** (not included in the total):", ""]
        out += [f"- `{ln['name']}` (`{ln['type']}`): {ln['reason']}" for ln in unpriced]
    out += [
        "",
        f"<sub>{est['counts']['free']} free resources not listed. Generated by "
        "`pioneer cost --markdown`.</sub>",
        "",
    ]
    return "\n".join(out)


def training_table(est: Mapping[str, Any]) -> Table:
    t = Table(
        title=f"training run: {est['job']['nodes']} x {est['job']['accelerators_per_node']}"
        f"x{est['job']['accelerator']}, {est['job']['hours']:g} h, "
        f"{est['job']['capacity']}, backend {est['job']['backend']}"
    )
    for col in (
        "cloud",
        "region",
        "instance type",
        "$/node-h",
        "compute",
        "managed premium",
        "storage",
        "egress",
        "total",
        "kWh",
        "kgCO2e",
        "price source (date)",
    ):
        left = col in ("cloud", "region", "instance type", "price source (date)")
        t.add_column(col, justify="left" if left else "right", no_wrap=col != "price source (date)")
    for r in est["clouds"]:
        if r["status"] != "priced":
            t.add_row(
                r["cloud"],
                r.get("region") or "",
                "",
                "",
                "",
                "",
                "",
                "",
                "NOT PRICED",
                "",
                "",
                r["reason"],
                style="red",
            )
            continue
        t.add_row(
            r["cloud"],
            r["region"],
            r["instance_type"],
            _usd(r["usd_per_node_hour"], 3),
            _usd(r["compute_usd"]),
            _usd(r["managed_premium_usd"]),
            _usd(r["storage_usd"]),
            _usd(r["egress_usd"]),
            f"[bold]{_usd(r['total_usd'])}[/]",
            *_energy_cells(r.get("energy")),
            f"{short_source(r['price_source'])} ({r['price_date']})",
        )
    return t
