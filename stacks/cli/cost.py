"""`pioneer cost`: the monthly estimate of stacks or plan documents, and training-run costs."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer

from cost.estimate import (
    PreviewFormatError,
    compare_estimates,
    estimate_preview,
    estimate_stack,
    load_preview,
    preview_stack,
)
from cost.report import (
    compare_table,
    components_table,
    energy_footnote,
    estimate_table,
    fit,
    markdown,
    side_by_side,
    side_by_side_table,
    training_table,
)
from cost.training_cost import TrainingCostError, estimate_training, load_job
from cost.usage import UsageError, load_usage
from stacks.cli import app
from stacks.cli.common import console, print_json, progress, refuse_together, user_errors
from stacks.config import (
    StackNotFound,
    load_stack_config,
    provider_region,
    resolve_stack,
    spec_from_stack,
)

ERRORS = (UsageError, TrainingCostError, PreviewFormatError)
# Columns given up first when the terminal is narrow (money and names are never cut).
ESTIMATE_DROP = ("kgCO2e/mo", "kWh/mo", "price source (date)", "quantity", "hourly", "type")
TRAINING_DROP = (
    "price source (date)",
    "kgCO2e",
    "kWh",
    "egress",
    "storage",
    "managed premium",
    "$/node-h",
    "compute",
)


def _preview_region(doc: dict[str, Any], region: str | None) -> str | None:
    """--region, else the provider config of the preview's stack in the current project."""
    if region:
        return region
    stack = preview_stack(doc)
    try:
        _, path = resolve_stack(stack) if stack else ("", None)
    except StackNotFound:
        return None
    return provider_region(load_stack_config(path)) if path else None


def _estimate_ref(
    ref: str, usage_file: str | None, preview: bool = False, region: str | None = None
) -> dict[str, Any]:
    """A stack name / stack file, or a `pulumi preview --json` file (*.json, or `preview`)."""
    if preview or ref.endswith(".json"):
        doc = load_preview(ref)
        est = estimate_preview(doc, load_usage(usage_file), region=_preview_region(doc, region))
        est["stack"] = Path(ref).name
        return est
    return estimate_stack(ref, usage_file)


@app.command()
def cost(
    stacks: list[str] = typer.Argument(
        None, help="Stacks (names or Pulumi.<name>.yaml); several print a side-by-side table."
    ),
    preview_json: Path = typer.Option(
        None, "--preview-json", help="Price a `pulumi preview --json` document instead of a stack."
    ),
    compare: tuple[str, str] | None = typer.Option(
        None, "--compare", help="Show the cost change from A to B (stacks or preview .json files)."
    ),
    training: Path = typer.Option(
        None, "--training", help="Price a training run (job YAML) on each cloud."
    ),
    usage: Path = typer.Option(
        None,
        "--usage",
        help="Usage file (default: stacks/usage.<stack>.yaml if present, else the defaults).",
    ),
    region: str = typer.Option(
        None,
        "--region",
        help="Previews: the region of resources whose provider the document omits "
        "(default: aws:region / gcp:region / azure-native:location of the preview's stack).",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    markdown_out: bool = typer.Option(False, "--markdown", help="Print a pull-request comment."),
    show_free: bool = typer.Option(False, "--show-free", help="List free resources too."),
) -> None:
    """Monthly cost estimate of a stack or plan: per resource, per component, total."""
    usage_file = str(usage) if usage else None
    refuse_together(**{"--json": json_out, "--markdown": markdown_out})
    refuse_together(
        **{
            "STACK": bool(stacks),
            "--preview-json": preview_json is not None,
            "--compare": bool(compare),
            "--training": training is not None,
        }
    )
    refuse_together(**{"--training": training is not None, "--usage": usage is not None})
    refuse_together(**{"STACK": bool(stacks), "--region": region is not None})
    with user_errors(*ERRORS):
        if training is not None:
            est = estimate_training(load_job(training))
            if json_out:
                print_json(est)
            else:
                console.print(
                    fit(
                        training_table(est),
                        console.width,
                        keep=("cloud", "region", "instance type", "compute", "total"),
                        drop=TRAINING_DROP,
                    )
                )
                for r in est["clouds"]:
                    for note in r.get("notes", []):
                        console.print(f"[dim]{r['cloud']}: {note}[/]")
                    energy = r.get("energy") or {}
                    if energy.get("not_estimated"):
                        console.print(
                            f"[dim]{r['cloud']}: energy/carbon not estimated: "
                            f"{energy['not_estimated']}[/]"
                        )
                factors = {
                    (f["name"], f["value"]): f
                    for r in est["clouds"]
                    for f in (r.get("energy") or {}).get("factors", [])
                }
                for line in energy_footnote(
                    {"energy": {"factors": list(factors.values()), "not_estimated": []}}
                ):
                    console.print(f"[dim]{line}[/]", highlight=False)
            return
        if compare:
            a, b = (_estimate_ref(ref, usage_file, region=region) for ref in compare)
            cmp = compare_estimates(a, b, label_a=a["stack"], label_b=b["stack"])
            if json_out:
                print_json({"compare": cmp, "a": a, "b": b})
            elif markdown_out:
                typer.echo(markdown(b, compare=cmp))
            else:
                console.print(compare_table(cmp))
            return
        refs = [str(preview_json)] if preview_json is not None else list(stacks or [])
        if not refs:
            raise typer.BadParameter(
                "give a stack (e.g. aws-dev), --preview-json FILE, "
                "--compare A B or --training JOB.yaml"
            )
        if preview_json is None:
            for ref in refs:  # every stack is checked before the first (slow) plan runs
                if not ref.endswith(".json"):
                    spec_from_stack(ref)
        ests = {}
        for i, ref in enumerate(refs, 1):
            progress(i, len(refs), f"pricing {ref}")
            est = _estimate_ref(ref, usage_file, preview=preview_json is not None, region=region)
            ests[est["stack"]] = est
    if json_out:
        if len(ests) == 1:
            print_json(next(iter(ests.values())))
        else:
            print_json({"stacks": ests, "side_by_side": side_by_side(ests)})
        return
    if markdown_out:
        typer.echo("\n".join(markdown(e) for e in ests.values()))
        return
    if len(ests) > 1:
        console.print(fit(side_by_side_table(ests), console.width, keep=["", *ests], drop=()))
        return
    est = next(iter(ests.values()))
    console.print(
        fit(
            estimate_table(est, show_free=show_free),
            console.width,
            keep=("resource", "monthly"),
            drop=ESTIMATE_DROP,
        )
    )
    console.print(fit(components_table(est), console.width, keep=("component", "monthly"), drop=()))
    for line in energy_footnote(est):
        console.print(f"[dim]{line}[/]", highlight=False)
    pools = est.get("node_pools")
    if pools:
        console.print(
            f"node pools at their maximum size all month: "
            f"${pools['max_monthly_usd']:,.2f}/month (compute only)"
        )
