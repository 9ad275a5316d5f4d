"""`pioneer spot simulate`: score spot policies on real availability traces."""

from __future__ import annotations

import typer

from stacks.cli import app
from stacks.cli.common import console, print_json, user_errors

spot_app = typer.Typer(help="Spot vs on-demand policies under a deadline.", no_args_is_help=True)
app.add_typer(spot_app, name="spot")


@spot_app.command("traces")
def traces_cmd(
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document."),
) -> None:
    """List the shipped spot availability traces (short names for --trace)."""
    from rich.table import Table

    from cost.simulate import load_trace, shipped_traces
    from cost.spot import trace_rate

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


@spot_app.command("simulate")
def simulate_cmd(
    trace: list[str] = typer.Option(
        ..., "--trace", help="Trace file or shipped short name; repeat."
    ),
    job_hours: float = typer.Option(..., "--job-hours", help="Work C in hours."),
    deadline_hours: float = typer.Option(..., "--deadline-hours", help="Deadline D in hours."),
    restart_hours: float = typer.Option(0.1, "--restart-hours", help="Overhead R per (re)start."),
    on_demand_price: float = typer.Option(3.06, "--on-demand-price", help="$/h on-demand."),
    spot_price: float = typer.Option(0.97, "--spot-price", help="$/h spot."),
    windows: int = typer.Option(20, "--windows", min=1, help="Windows per trace."),
    policy: list[str] = typer.Option(None, "--policy", help="Policies (default: all)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
) -> None:
    """Replay windows of traces; per policy: cost vs on-demand, gap to optimum, misses."""
    from rich.table import Table

    from cost.policies import OPTIMUM, SpotJob
    from cost.simulate import DEFAULT_POLICIES, TraceError, evaluate, load_trace

    with user_errors(TraceError, ValueError):
        job = SpotJob(job_hours, deadline_hours, restart_hours, on_demand_price, spot_price)
        traces = [load_trace(t) for t in trace]
        names = list(policy or DEFAULT_POLICIES)
        scores = evaluate(traces, job, names, windows=windows)
    if json_out:
        print_json({name: s.as_dict() for name, s in scores.items()})
        return
    table = Table(
        title=(
            f"C={job_hours:g} h, D={deadline_hours:g} h, R={restart_hours:g} h, "
            f"${on_demand_price:g} on-demand vs ${spot_price:g} spot; "
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
