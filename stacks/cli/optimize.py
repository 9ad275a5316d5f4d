"""`pioneer optimize WORKLOAD.yaml`: the cheapest plan under deadline and budget, and why."""

from __future__ import annotations

from pathlib import Path

import typer

from cost.objectives import OBJECTIVE_NAMES
from stacks.cli import app
from stacks.cli.common import check_output_path, console, fail, print_json, user_errors


@app.command("optimize")
def optimize_cmd(
    workload: Path = typer.Argument(
        ..., help="Workload YAML (see examples/reference-workload.yaml)."
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    plot: Path = typer.Option(None, "--plot", help="Write the cost/time frontier to this PNG."),
    objective: str = typer.Option(
        "cost", "--objective", help=f"What to minimise: {' | '.join(OBJECTIVE_NAMES)}."
    ),
    weights: str = typer.Option(
        None,
        "--weights",
        help="For --objective mix: e.g. cost=1,carbon=0.5 (each term divided by its best value).",
    ),
    plot_axes: str = typer.Option(
        None,
        "--plot-axes",
        help="cost-time | cost-carbon (default: cost-carbon when the objective uses carbon).",
    ),
    cloud: list[str] = typer.Option(
        None, "--cloud", help="Only these clouds (repeat); default: the workload's."
    ),
    allow_suspect_spot: bool = typer.Option(
        False,
        "--allow-suspect-spot",
        help="Also use spot prices flagged suspect (far below on-demand; `pioneer catalog show`).",
    ),
) -> None:
    """Search offers x node counts x capacity (on-demand, spot, spot + fallback)."""
    from rich.table import Table

    from cost.optimize import optimize, parse_weights
    from cost.workload import Workload, WorkloadError, load_workload

    if objective not in OBJECTIVE_NAMES:
        fail(f"--objective: {objective!r} is not one of {', '.join(OBJECTIVE_NAMES)}")
    if objective != "mix" and weights:
        fail(f"--weights: only used with --objective mix, not {objective}")
    wts = None
    if objective == "mix":
        try:
            wts = parse_weights(weights)
        except ValueError as e:
            fail(f"--{e}")
    uses_carbon = objective == "carbon" or bool(wts and wts.get("carbon"))
    axes = plot_axes or ("cost-carbon" if uses_carbon else "cost-time")
    if axes not in ("cost-time", "cost-carbon"):
        fail(f"--plot-axes: {plot_axes!r} is not one of cost-time, cost-carbon")
    if plot is not None:
        check_output_path(plot, "--plot")
    with user_errors(WorkloadError):
        w = load_workload(workload)
        if cloud:
            w = Workload.parse({**w.model_dump(exclude_defaults=True), "clouds": cloud})
        result = optimize(
            w, objective=objective, weights=wts, allow_suspect_spot=allow_suspect_spot
        )
    if plot is not None:
        from cost.plot import plot_carbon_frontier, plot_frontier

        if axes == "cost-carbon":
            plot = plot_carbon_frontier(result, plot, w.budget_usd)
        else:
            plot = plot_frontier(result, plot, w.deadline_hours, w.budget_usd)
    if json_out:
        doc = result.as_dict()
        if plot is not None:
            doc["plot"] = str(plot)
            doc["plot_axes"] = axes
        print_json(doc)
        if result.best is None:
            raise typer.Exit(1)  # the JSON still explains which constraint binds
        return
    carbon_axes = axes == "cost-carbon"
    table = Table(
        title=f"{w.name}: Pareto frontier (expected cost vs {'carbon' if carbon_axes else 'time'})"
    )
    for col in ("plan", "mode", "$/h", "hours", "cost $", "kWh", "kgCO2e", "P(deadline)", "eta(N)"):
        table.add_column(col, justify="left" if col in ("plan", "mode") else "right")
    front = result.carbon_frontier if carbon_axes else result.frontier
    rows = front if result.best is None or result.best in front else [*front, result.best]
    for p in rows:
        chosen = result.best is not None and p == result.best
        table.add_row(
            f"{'* ' if chosen else ''}{p.cloud}/{p.region} {p.nodes}x {p.instance_type} "
            f"({p.accelerators}x{p.accelerator})",
            p.mode,
            f"{p.price_usd_per_hour:,.2f}",
            f"{p.expected_hours:.1f}",
            f"{p.expected_cost_usd:,.0f}",
            _num(p.expected_kwh, 0),
            _num(p.expected_kg_co2e, 1),
            f"{p.deadline_probability:.3f}",
            f"{p.efficiency:.2f}",
            style="bold green" if chosen else None,
        )
    console.print(table)
    console.print(
        f"{result.considered} plans considered, {result.feasible} feasible; "
        f"prices dated {', '.join(result.price_dates) or 'n/a'}"
    )
    head = "[bold green]chosen[/]" if result.best else "[bold red]no feasible plan[/]"
    console.print(head)
    for line in result.explanation:
        console.print(f"  - {line}", highlight=False)
    for line in result.skipped:
        if line not in result.explanation:
            console.print(f"  - left out: {line}", highlight=False)
    if result.best is not None:
        sources = "; ".join(
            f"{f.name} = {f.value:g} {f.unit} ({f.source}, {f.date})"
            for f in result.best.energy_factors
        )
        console.print(
            f"[dim]energy factors of the chosen plan: {sources or 'none'}[/]", highlight=False
        )
    if plot is not None:
        console.print(f"frontier plot ({axes}): {plot}")
    if result.best is None:
        raise typer.Exit(1)


def _num(v: float | None, digits: int) -> str:
    return "n/e" if v is None else f"{v:,.{digits}f}"
