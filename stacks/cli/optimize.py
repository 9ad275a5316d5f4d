"""`pioneer optimize WORKLOAD.yaml`: the cheapest plan under deadline and budget, and why."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.table import Table

from cost.optimize import OBJECTIVES, optimize
from cost.workload import Workload, WorkloadError, load_workload
from stacks.cli import app
from stacks.cli.common import console, fail, print_json, user_errors


@app.command("optimize")
def optimize_cmd(
    workload: Path = typer.Argument(..., help="Workload YAML (see examples/reference-workload.yaml)."),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    plot: Path = typer.Option(None, "--plot", help="Write the cost/time frontier to this PNG."),
    objective: str = typer.Option("cost", "--objective",
                                  help=f"What to minimise: {' | '.join(OBJECTIVES)}."),
    cloud: list[str] = typer.Option(None, "--cloud",
                                    help="Only these clouds (repeat); default: the workload's."),
) -> None:
    """Search offers x node counts x capacity (on-demand, spot, spot + fallback)."""
    if objective not in OBJECTIVES:
        fail(f"--objective: {objective!r} is not one of {', '.join(OBJECTIVES)}")
    with user_errors(WorkloadError):
        w = load_workload(workload)
        if cloud:
            w = Workload.parse({**w.model_dump(exclude_defaults=True), "clouds": cloud})
        result = optimize(w, objective=objective)
    if plot is not None:
        from cost.plot import plot_frontier

        plot_frontier(result, plot, w.deadline_hours, w.budget_usd)
    if json_out:
        doc = result.as_dict()
        if plot is not None:
            doc["plot"] = str(plot)
        print_json(doc)
        if result.best is None:
            raise typer.Exit(1)  # the JSON still explains which constraint binds
        return
    table = Table(title=f"{w.name}: Pareto frontier (expected cost vs time)")
    for col in ("plan", "mode", "$/h", "hours", "cost $", "P(deadline)", "eta(N)"):
        table.add_column(col, justify="left" if col in ("plan", "mode") else "right")
    for p in result.frontier:
        chosen = result.best is not None and p == result.best
        table.add_row(
            f"{'* ' if chosen else ''}{p.cloud}/{p.region} {p.nodes}x {p.instance_type} "
            f"({p.accelerators}x{p.accelerator})",
            p.mode, f"{p.price_usd_per_hour:,.2f}", f"{p.expected_hours:.1f}",
            f"{p.expected_cost_usd:,.0f}", f"{p.deadline_probability:.3f}",
            f"{p.efficiency:.2f}", style="bold green" if chosen else None)
    console.print(table)
    console.print(f"{result.considered} plans considered, {result.feasible} feasible; "
                  f"prices dated {', '.join(result.price_dates) or 'n/a'}")
    head = "[bold green]chosen[/]" if result.best else "[bold red]no feasible plan[/]"
    console.print(head)
    for line in result.explanation:
        console.print(f"  - {line}", highlight=False)
    if plot is not None:
        console.print(f"frontier plot: {plot}")
    if result.best is None:
        raise typer.Exit(1)
