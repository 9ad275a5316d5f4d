"""`pioneer spot simulate`: score spot policies on real availability traces."""

from __future__ import annotations

import typer
from rich.table import Table

from cost.multizone import MULTI_OPTIMUM, MultiZoneJob, evaluate_multi, zones_for
from cost.simulate import DEFAULT_POLICIES, TraceError, evaluate, load_trace, shipped_traces
from cost.spot import trace_rate
from cost.spot_policies import OPTIMUM, SpotJob
from stacks.cli import app
from stacks.cli.common import console, err_console, fail, print_json, user_errors

spot_app = typer.Typer(help="Spot vs on-demand policies under a deadline.", no_args_is_help=True)
app.add_typer(spot_app, name="spot")


@spot_app.command("traces")
def traces_cmd(
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """List the shipped spot availability traces (short names for --trace)."""
    rows = []
    for name in shipped_traces():
        t = load_trace(name)
        rows.append(
            {
                "name": name,
                "gap_seconds": t.gap_seconds,
                "hours": round(t.hours, 1),
                "availability": round(t.availability, 3),
                "interruptions_per_hour": round(trace_rate(t.available, t.gap_seconds), 4),
            }
        )
    if json_out:
        print_json(rows)
        return
    table = Table(title="shipped spot traces (cost/traces, skypilot-org/spot-traces)")
    for col in ("name", "tick s", "hours", "spot available", "interruptions/h"):
        table.add_column(col)
    for r in rows:
        table.add_row(
            str(r["name"]),
            str(r["gap_seconds"]),
            f"{r['hours']:.0f}",
            f"{r['availability']:.0%}",
            f"{r['interruptions_per_hour']:.3f}",
        )
    console.print(table)


@spot_app.command("rates")
def rates_cmd(
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """Interruption rates the optimizer uses: measured from spot traces, else assumed."""
    from cost.interruption_rates import SOURCE, measured_rates
    from cost.spot import DEFAULT_BUCKET, bucket_rate

    measured = [m.as_dict() for m in measured_rates().values()]
    assumed = [
        {"cloud": c, "bucket": b, "per_hour": round(bucket_rate(b), 5)}
        for c, b in DEFAULT_BUCKET.items()
    ]
    if json_out:
        print_json({"measured": measured, "assumed_where_no_trace": assumed})
        return
    table = Table(title=f"measured interruptions per instance-hour ({SOURCE})")
    for col in ("cloud", "accelerator", "traces", "low", "median", "high", "dates"):
        table.add_column(col)
    for m in measured:
        table.add_row(
            m["cloud"],
            m["accelerator"],
            str(len(m["traces"])),
            f"{m['low_per_hour']:.3f}",
            f"{m['median_per_hour']:.3f}",
            f"{m['high_per_hour']:.3f}",
            ", ".join(m["dates"]),
        )
    console.print(table)
    console.print(
        "no trace (assumed, or the offer's Spot Advisor bucket on AWS): "
        + "; ".join(f"{a['cloud']} bucket {a['bucket']} = {a['per_hour']:.5f}/h" for a in assumed),
        highlight=False,
    )


@spot_app.command("simulate")
def simulate_cmd(
    trace: list[str] = typer.Option(
        ..., "--trace", help="Trace file(s) or shipped short name(s): --trace a b, or repeat."
    ),
    more_traces: list[str] = typer.Argument(
        None, metavar="[F]...", help="More traces after --trace F (click takes one per flag)."
    ),
    job_hours: float = typer.Option(..., "--job-hours", help="Work C in hours."),
    deadline_hours: float = typer.Option(..., "--deadline-hours", help="Deadline D in hours."),
    restart_hours: float = typer.Option(0.1, "--restart-hours", help="Overhead R per (re)start."),
    on_demand_price: list[float] = typer.Option(
        [3.06], "--on-demand-price", help="$/h on-demand; with --multi-zone one per trace."
    ),
    spot_price: list[float] = typer.Option(
        [0.97], "--spot-price", help="$/h spot; with --multi-zone one per trace."
    ),
    windows: int = typer.Option(20, "--windows", min=1, help="Windows per trace."),
    policy: list[str] = typer.Option(None, "--policy", help="Policies (default: all)."),
    multi_zone: bool = typer.Option(
        False, "--multi-zone", help="The traces are zones of one job: it may move between them."
    ),
    migration_hours: float = typer.Option(
        0.0, "--migration-hours", help="With --multi-zone: hours to move the last checkpoint."
    ),
    checkpoint_gib: float = typer.Option(
        0.0, "--checkpoint-gib", help="With --multi-zone: checkpoint size (egress between regions)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Replay windows of traces; per policy: cost vs on-demand, gap to optimum, misses."""
    refs = [*trace, *(more_traces or [])]
    if multi_zone:
        _multi_zone(
            refs,
            job_hours,
            deadline_hours,
            restart_hours,
            on_demand_price,
            spot_price,
            windows,
            migration_hours,
            checkpoint_gib,
            json_out,
        )
        return
    if len(on_demand_price) > 1 or len(spot_price) > 1:
        fail("--spot-price / --on-demand-price: one value each without --multi-zone")
    with user_errors(TraceError, ValueError):
        job = SpotJob(job_hours, deadline_hours, restart_hours, on_demand_price[0], spot_price[0])
        traces = [load_trace(t) for t in refs]
        names = list(policy or DEFAULT_POLICIES)
        scores = evaluate(traces, job, names, windows=windows)
    if json_out:
        print_json({name: s.as_dict() for name, s in scores.items()})
        return
    table = Table(
        title=(
            f"C={job_hours:g} h, D={deadline_hours:g} h, R={restart_hours:g} h, "
            f"${on_demand_price[0]:g} on-demand vs ${spot_price[0]:g} spot; "
            f"{len(traces)} trace(s) x up to {windows} windows"
        )
    )
    for col in ("policy", "cost vs on-demand", "savings", "gap to optimum", "misses", "windows"):
        table.add_column(col, justify="left" if col == "policy" else "right")
    for name, s in scores.items():
        table.add_row(
            name,
            f"{s.mean_cost:.3f}",
            f"{round(1 - s.mean_cost, 6) + 0.0:.1%}",
            "-" if name == OPTIMUM else f"{s.mean_gap:.1%}",
            str(s.misses),
            str(len(s.costs)),
            style="bold" if name == "pioneer" else None,
        )
    console.print(table)


def _multi_zone(
    refs: list[str],
    job_hours: float,
    deadline_hours: float,
    restart_hours: float,
    on_demand_price: list[float],
    spot_price: list[float],
    windows: int,
    migration_hours: float,
    checkpoint_gib: float,
    json_out: bool,
) -> None:
    with user_errors(TraceError, ValueError):
        traces = [load_trace(t) for t in refs]
        zones = zones_for(traces, spot_price, on_demand_price)
        job = MultiZoneJob(
            job_hours, deadline_hours, restart_hours, zones, migration_hours, checkpoint_gib
        )
        err_console.print(f"multi-zone optimum over {len(zones)} zones x {windows} windows ...")
        scores = evaluate_multi(traces, job, windows=windows)
    if json_out:
        print_json(
            {
                "zones": [
                    {
                        "name": z.name,
                        "region": z.region,
                        "spot_price": z.spot_price,
                        "on_demand_price": z.on_demand_price,
                    }
                    for z in zones
                ],
                "migration_hours": migration_hours,
                "checkpoint_gib": checkpoint_gib,
                "rows": {name: s.as_dict() for name, s in scores.items()},
            }
        )
        return
    table = Table(
        title=(
            f"C={job_hours:g} h, D={deadline_hours:g} h, R={restart_hours:g} h, "
            f"move {migration_hours:g} h + {checkpoint_gib:g} GiB egress; zones "
            + ", ".join(z.name for z in zones)
        )
    )
    for col in ("policy", "cost vs on-demand", "gap to multi-zone optimum", "misses", "windows"):
        table.add_column(col, justify="left" if col == "policy" else "right")
    for name, s in scores.items():
        table.add_row(
            name,
            f"{s.mean_cost:.3f}",
            "-" if name == MULTI_OPTIMUM else f"{s.mean_gap:.1%}",
            str(s.misses),
            str(len(s.costs)),
            style="bold" if name == "pioneer" else None,
        )
    console.print(table)
