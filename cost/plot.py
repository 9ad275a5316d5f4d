"""The optimizer's Pareto frontier as a PNG (matplotlib, headless Agg backend)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import matplotlib

matplotlib.use("Agg")  # no display needed; must precede pyplot
import matplotlib.pyplot as plt  # noqa: E402
from matplotlib.lines import Line2D  # noqa: E402
from matplotlib.ticker import FuncFormatter, LogLocator, NullFormatter  # noqa: E402

from cost.optimize import OptimizeResult  # noqa: E402

# Marker = capacity mode (the faint cloud of other plans in the mode's colour);
# frontier points are coloured by cloud so that clouds can be told apart.
MODE_STYLE = {
    "on_demand": ("o", "tab:blue"),
    "spot": ("s", "tab:orange"),
    "spot_with_fallback": ("^", "tab:green"),
}
CLOUD_COLOR = {"aws": "black", "gcp": "tab:brown", "azure": "tab:cyan"}
USD = FuncFormatter(lambda v, _pos: f"${v:,.0f}" if v >= 1 else f"${v:.2g}")


def output_path(path: str | Path, name: str) -> Path:
    """Where the PNG goes: into a directory as `<name>.png`, else the path with `.png`
    added when it has no suffix (matplotlib would add it silently)."""
    path = Path(path)
    if path.is_dir():
        return path / f"{name}.png"
    return path if path.suffix else path.with_suffix(".png")


def _finish(ax: Any, modes: set[str], clouds: set[str]) -> None:
    """Dollar ticks on the log cost axis, and a legend with every mode and cloud drawn."""
    if ax.get_yscale() == "log":
        ax.yaxis.set_major_locator(LogLocator(base=10, subs=(1.0, 2.0, 5.0)))
        ax.yaxis.set_minor_formatter(NullFormatter())
    ax.yaxis.set_major_formatter(USD)
    handles, _ = ax.get_legend_handles_labels()
    for mode in MODE_STYLE:
        if mode in modes:
            marker, color = MODE_STYLE[mode]
            handles.append(
                Line2D([], [], ls="", marker=marker, color=color, label=mode.replace("_", "-"))
            )
    for cloud in sorted(clouds):
        handles.append(
            Line2D(
                [],
                [],
                ls="",
                marker="o",
                mfc="none",
                mec=CLOUD_COLOR.get(cloud, "k"),
                mew=2,
                label=f"{cloud} (frontier edge)",
            )
        )
    ax.legend(handles=handles, fontsize=8)


def plot_frontier(
    result: OptimizeResult,
    path: str | Path,
    deadline_hours: float | None = None,
    budget_usd: float | None = None,
) -> Path:
    """Expected cost vs expected hours: the frontier (line), a sample of the other plans
    (faint), the chosen plan circled; deadline and budget as reference lines."""
    path = output_path(path, f"{result.workload}-cost-time")
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    front = sorted(result.frontier, key=lambda p: p.expected_hours)
    for mode, (marker, color) in MODE_STYLE.items():
        hours = [h for h, _, m in result.others if m == mode]
        costs = [c for _, c, m in result.others if m == mode]
        if hours:
            ax.scatter(hours, costs, marker=marker, s=8, color=color, alpha=0.15, zorder=0)
    _draw_frontier(
        ax,
        front,
        result.best,
        result.objective,
        x_of=lambda p: p.expected_hours,
        label_of=lambda p: f"{p.nodes}x {p.instance_type} ({p.mode})",
    )
    if deadline_hours:
        ax.axvline(deadline_hours, color="red", ls="--", lw=1, label="deadline")
    if front or result.others:
        ax.set_yscale("log")  # plans span orders of magnitude in cost
    if budget_usd and (front or result.others):
        ax.axhline(budget_usd, color="purple", ls=":", lw=1, label="budget")
    ax.set_xlabel("expected completion time (h)")
    ax.set_ylabel("expected cost (USD, log scale)")
    ax.set_title(f"{result.workload}: cost vs time (Pareto frontier)")
    if not front:
        ax.text(0.5, 0.5, "no plan", transform=ax.transAxes, ha="center")
    ax.grid(alpha=0.3)
    _finish(ax, {m for *_, m in result.others} | {p.mode for p in front}, {p.cloud for p in front})
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def plot_carbon_frontier(
    result: OptimizeResult, path: str | Path, budget_usd: float | None = None
) -> Path:
    """Expected cost vs expected kgCO2e: the (cost, carbon) frontier, a sample of the other
    plans with a carbon estimate (faint), the chosen plan circled."""
    path = output_path(path, f"{result.workload}-cost-carbon")
    fig, ax = plt.subplots(figsize=(8, 5), dpi=110)
    front = sorted(result.carbon_frontier, key=lambda p: p.expected_kg_co2e or 0.0)
    for mode, (marker, color) in MODE_STYLE.items():
        pts = [(k, c) for k, c, m in result.others_carbon if m == mode]
        if pts:
            xs, ys = zip(*pts, strict=True)
            ax.scatter(xs, ys, marker=marker, s=8, color=color, alpha=0.15, zorder=0)
    _draw_frontier(
        ax,
        front,
        result.best,
        result.objective,
        x_of=lambda p: p.expected_kg_co2e,
        label_of=lambda p: f"{p.region} {p.nodes}x {p.instance_type} ({p.mode})",
    )
    if front or result.others_carbon:
        ax.set_xscale("log")  # grids differ by two orders of magnitude (2 to 700 g/kWh)
        ax.set_yscale("log")
        if budget_usd:
            ax.axhline(budget_usd, color="purple", ls=":", lw=1, label="budget")
    else:
        ax.text(0.5, 0.5, "no plan with a carbon estimate", transform=ax.transAxes, ha="center")
    ax.set_xlabel("expected emissions (kgCO2e, log scale)")
    ax.set_ylabel("expected cost (USD, log scale)")
    ax.set_title(f"{result.workload}: cost vs carbon (Pareto frontier)")
    ax.grid(alpha=0.3)
    modes = {m for *_, m in result.others_carbon} | {p.mode for p in front}
    _finish(ax, modes, {p.cloud for p in front})
    fig.tight_layout()
    fig.savefig(path)
    plt.close(fig)
    return path


def _draw_frontier(
    ax: Any,
    front: list[Any],
    best: Any,
    objective: str,
    *,
    x_of: Callable[[Any], float | None],
    label_of: Callable[[Any], str],
) -> None:
    """The frontier as a grey line through its plans, each marked by capacity mode; its two
    ends and the chosen plan labelled, the chosen plan circled (plans without an x skipped)."""
    ax.plot(
        [x_of(p) or 0.0 for p in front],
        [p.expected_cost_usd for p in front],
        color="0.6",
        lw=1,
        zorder=1,
    )
    for mode, (marker, color) in MODE_STYLE.items():
        plans = [p for p in front if p.mode == mode]
        if plans:
            ax.scatter(
                [x_of(p) or 0.0 for p in plans],
                [p.expected_cost_usd for p in plans],
                marker=marker,
                color=color,
                edgecolors=[CLOUD_COLOR.get(p.cloud, "k") for p in plans],
                linewidths=1.5,
                zorder=2,
            )
    for p in {id(q): q for q in (*front[:1], *front[-1:], best) if q}.values():
        if x_of(p) is not None:
            ax.annotate(
                label_of(p),
                (x_of(p), p.expected_cost_usd),
                fontsize=7,
                xytext=(6, 6),
                textcoords="offset points",
            )
    if best is not None and x_of(best) is not None:
        ax.scatter(
            [x_of(best)],
            [best.expected_cost_usd],
            s=220,
            facecolors="none",
            edgecolors="red",
            linewidths=2,
            label=f"chosen ({objective})",
            zorder=3,
        )
