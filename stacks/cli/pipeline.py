"""`pioneer pipeline run | compile | submit | promote | rollback`, `pioneer lineage`, `pioneer audit verify`."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import typer
from rich.table import Table
from rich.tree import Tree

from stacks.cli import app
from stacks.cli.common import console, err_console, fail, print_json, user_errors

pipeline_app = typer.Typer(
    help="Model pipelines: validate data → train → evaluate → gate → register → promote.",
    no_args_is_help=True,
)
audit_app = typer.Typer(
    help="The hash-chained audit log of registrations, promotions, rollbacks, deployments.",
    no_args_is_help=True,
)
app.add_typer(pipeline_app, name="pipeline")
app.add_typer(audit_app, name="audit")

STORE_OPT = typer.Option(
    None, "--store", help="Lifecycle store folder (PIONEER_STORE, else .pioneer/lifecycle)."
)
JSON_OPT = typer.Option(False, "--json", help="Print one JSON document on stdout.")


def _store(store: Path | None) -> Any:
    from lifecycle.store import Store

    return Store.default(store)


def _errors() -> Any:
    from lifecycle.registry import RefError

    return user_errors(RefError)


@pipeline_app.command("run")
def run_cmd(
    spec_file: Path = typer.Argument(..., help="Pipeline spec, e.g. pipelines/digits.yaml."),
    store: Path | None = STORE_OPT,
    json_out: bool = JSON_OPT,
) -> None:
    """Run every step here (CPU), reusing cached step outputs whose inputs are unchanged."""
    from lifecycle.pipeline.run import PipelineFailed, run
    from lifecycle.pipeline.spec import PipelineSpec

    with _errors():
        spec = PipelineSpec.load(spec_file)
        st = _store(store)
    icons = {"ran": "[green]✓[/]", "cached": "[cyan]↺ cached[/]", "failed": "[red]✗[/]"}

    def on_event(step: str, status: str, detail: str) -> None:
        if status == "start":
            err_console.print(f"[bold]{step}[/] …", highlight=False)
        elif status == "progress":
            pass  # training steps: one line per step would flood the terminal
        else:
            err_console.print(f"  {icons.get(status, status)} {step}: {detail}", highlight=False)

    try:
        with _errors():
            result = run(spec, st, spec_file.parent, on_event=on_event)
    except PipelineFailed as e:
        _summary(e.result.as_dict(), json_out)
        fail(str(e), code=1)
    _summary(result.as_dict(), json_out)


def _summary(doc: dict[str, Any], json_out: bool) -> None:
    if json_out:
        print_json(doc)
        return
    table = Table(title=f"pipeline {doc['pipeline']} → model {doc['model']}")
    for col in ("step", "status", "seconds", "key", "detail"):
        table.add_column(col)
    for s in doc["steps"]:
        table.add_row(
            s["name"], s["status"], f"{s['seconds']:.2f}", (s["key"] or "-")[:12], s["detail"]
        )
    console.print(table)
    gate = doc.get("gate") or {}
    if gate.get("checks"):
        gt = Table(title="gate")
        for col in ("check", "value", "limit", "result"):
            gt.add_column(col)
        for c in gate["checks"]:
            v = c["value"]
            gt.add_row(
                c["check"],
                "-" if v is None else f"{v:.4g}",
                f"{c['limit']:.4g}",
                "pass" if c["passed"] else "[red]FAIL[/]",
            )
        console.print(gt)
    console.print(
        f"version: {doc['version']}  production: {doc['production']}  "
        f"wall time: {doc['seconds']:.1f} s"
    )


@pipeline_app.command("promote")
def promote_cmd(
    ref: str = typer.Argument(..., help="MODEL:VERSION (or MODEL:candidate) to make production."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
    store: Path | None = STORE_OPT,
    json_out: bool = JSON_OPT,
) -> None:
    """Manual approval: point `production` at a registered version."""
    from lifecycle.pipeline.register import promote

    with _errors():
        out = promote(_store(store), ref, reason)
    _moved(out, json_out)


@pipeline_app.command("rollback")
def rollback_cmd(
    model: str = typer.Argument(..., help="MODEL whose production alias goes back one version."),
    reason: str = typer.Option(..., "--reason", help="Why (kept in the audit log)."),
    store: Path | None = STORE_OPT,
    json_out: bool = JSON_OPT,
) -> None:
    """Move `production` back to the version the current one replaced."""
    from lifecycle.pipeline.register import rollback

    with _errors():
        out = rollback(_store(store), model, reason)
    _moved(out, json_out)


def _moved(out: dict[str, Any], json_out: bool) -> None:
    if json_out:
        print_json(out)
    else:
        console.print(f"{out['model']}: production v{out['previous']} → v{out['version']}")


@app.command("lineage")
def lineage_cmd(
    ref: str = typer.Argument(..., help="MODEL, MODEL:VERSION or MODEL:ALIAS."),
    store: Path | None = STORE_OPT,
    json_out: bool = JSON_OPT,
) -> None:
    """What made a model version: data → run → model → deployment, every link a hash."""
    from lifecycle import lineage

    with _errors():
        rec = lineage.lookup(_store(store), ref)
    if json_out:
        print_json(rec)
        return
    d, t, m = rec["dataset"], rec["training"], rec["metrics"]
    root = Tree(f"[bold]{rec['model']}:{rec['version']}[/] (pipeline {rec['pipeline']})")
    data = root.add(f"data  {d['path']}  version {d['version']}")
    data.add(f"sha256 {d['digest']}  rows {d['rows']}")
    run = data.add(f"run  mlflow {rec['mlflow_run_id']}")
    code = rec["code"]
    run.add(f"code {code['commit']}{' (dirty)' if code['dirty'] else ''}")
    shown = ("model", "arch", "max_steps", "lr", "seed")
    run.add("config " + ", ".join(f"{k}={t['config'][k]}" for k in shown))
    run.add(f"packages constraints.txt sha256 {rec['package_lock_sha256']}")
    run.add(
        f"hardware {rec['hardware']['device']} x{rec['hardware']['world_size']} ({rec['hardware']['machine']})"
    )
    e = rec["energy"]
    run.add(f"energy {e['kwh']} kWh, {e['kg_co2e']} kg CO2e")
    for name, s in rec["steps"].items():
        run.add(f"step {name}: key {(s['key'] or '-')[:16]} outputs {(s['outputs'] or '-')[:16]}")
    model = run.add(f"model weights sha256 {rec['weights_sha256']}  parent v{rec['parent']}")
    model.add(
        f"accuracy {m['accuracy']:.4f}  macro recall {m['macro_recall']:.4f}  p95 {m['latency_ms_p95']:.3f} ms"
    )
    g = model.add(f"gate {'passed' if rec['gate']['passed'] else 'failed'}")
    for c in rec["gate"]["checks"]:
        g.add(f"{'✓' if c['passed'] else '✗'} {c['check']}: {c['value']}")
    hist = model.add("history")
    for h in rec["history"]:
        hist.add(f"{h['time']} {h['action']} by {h['actor']}: {h['reason']}")
    console.print(root)


@audit_app.command("verify")
def audit_verify(store: Path | None = STORE_OPT, json_out: bool = JSON_OPT) -> None:
    """Check the chain: an edited, removed or cut-off entry is reported (exit 1)."""
    st = _store(store)
    v = st.audit.verify()
    if json_out:
        print_json(
            {"ok": v.ok, "entries": v.entries, "problems": v.problems, "log": str(st.audit.path)}
        )
    elif v.ok:
        console.print(f"audit log intact: {v.entries} entries ({st.audit.path})")
    else:
        for p in v.problems:
            err_console.print(f"[red]✗[/] {p}", highlight=False)
    if not v.ok:
        raise typer.Exit(1)


def _compiled(spec_file: Path, target: str, stack: str | None, outputs: Path | None) -> Any:
    from lifecycle.pipeline.compile import TARGET_CLOUD, CompileError, compile_pipeline
    from lifecycle.pipeline.spec import PipelineSpec
    from training.backends.common import BackendError
    from training.outputs import OutputsError, load_stack_outputs

    with user_errors(CompileError, BackendError, OutputsError):
        spec = PipelineSpec.load(spec_file)
        if target not in TARGET_CLOUD:
            raise CompileError(f"--target: {target!r} is not one of {', '.join(TARGET_CLOUD)}")
        from stacks.plan import plan_outputs

        outs = load_stack_outputs(
            stack or f"{TARGET_CLOUD[target]}-dev", outputs, dry_run=True, plan_outputs=plan_outputs
        )
        return compile_pipeline(spec, spec_file.read_text(encoding="utf-8"), target, outs), outs


TARGET_OPT = typer.Option(..., "--target", help="sagemaker | vertex | azureml")
STACK_OPT = typer.Option(
    None, "--stack", help="Stack whose outputs the pipeline uses (<cloud>-dev)."
)
OUTPUTS_OPT = typer.Option(
    None, "--outputs", help="JSON file of stack outputs (else the offline plan)."
)


@pipeline_app.command("compile")
def compile_cmd(
    spec_file: Path = typer.Argument(..., help="Pipeline spec, e.g. pipelines/digits.yaml."),
    target: str = TARGET_OPT,
    stack: str | None = STACK_OPT,
    outputs: Path | None = OUTPUTS_OPT,
    out: Path | None = typer.Option(None, "--out", help="Also write the definition to this file."),
    json_out: bool = JSON_OPT,
) -> None:
    """What the cloud's pipeline engine would run, built and validated with its own SDK."""
    import json

    compiled, _ = _compiled(spec_file, target, stack, outputs)
    if out is not None:
        out.write_text(json.dumps(compiled["definition"], indent=2, default=str), encoding="utf-8")
    if json_out:
        print_json(compiled)
        return
    table = Table(title=f"{compiled['format']}: {compiled['name']}")
    table.add_column("step")
    for s in compiled["steps"]:
        table.add_row(s)
    console.print(table)
    if out is not None:
        console.print(f"definition written to {out}")


@pipeline_app.command("submit")
def submit_cmd(
    spec_file: Path = typer.Argument(..., help="Pipeline spec, e.g. pipelines/digits.yaml."),
    target: str = TARGET_OPT,
    stack: str | None = STACK_OPT,
    outputs: Path | None = OUTPUTS_OPT,
    json_out: bool = JSON_OPT,
) -> None:
    """Create or update the compiled pipeline in the cloud (SageMaker: UpsertPipeline)."""
    from lifecycle.pipeline.compile.submit import SubmitError, submit
    from training.backends.common import BackendError

    compiled, outs = _compiled(spec_file, target, stack, outputs)
    with user_errors(SubmitError, BackendError):
        result = submit(compiled, outs)
    if json_out:
        print_json(result)
    else:
        console.print(f"{result['target']}: {result['name']} → {result['arn']}")
