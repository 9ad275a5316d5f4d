"""`pioneer train --backend B`: the shared training code, here (torchrun) or on a managed service."""

from __future__ import annotations

import shlex
from pathlib import Path
from typing import Any

import typer

from stacks.cli import app
from stacks.cli.common import (
    check_output_dir,
    console,
    err_console,
    fail,
    print_json,
    user_errors,
)
from training.backends import BACKENDS, get_backend

# Options that mean something for one kind of backend only: refused elsewhere, never ignored.
LOCAL_ONLY = ("--nproc", "--output-dir", "--spot-trace")
MANAGED_ONLY = ("--stack", "--outputs", "--pool", "--image", "--nodes", "--spot", "--on-demand")

# 128 + signal number, the shell's convention for "stopped by a signal".
INTERRUPTED_EXIT = {"SIGINT": 130, "SIGTERM": 143}

SUMMARY_ROWS = (
    "status",
    "final_step",
    "resumed_from_step",
    "test_accuracy",
    "final_loss",
    "samples_per_second",
    "world_size",
    "energy_kwh",
    "emissions_kg",
    "energy_kwh_total",
    "emissions_kg_total",
    "weights_sha256",
    "mlflow_run_id",
    "registered_model",
    "checkpoint_dir",
    "output_dir",
    "log_file",
)


def _train_args(
    model: str,
    max_steps: int | None,
    ckpt_dir: Path | None,
    seed: int | None,
    batch_size: int | None,
    lr: float | None,
    extra: list[str],
) -> list[str]:
    args = ["--model", model]
    for flag, value in (
        ("--max-steps", max_steps),
        ("--ckpt-dir", ckpt_dir),
        ("--seed", seed),
        ("--batch-size", batch_size),
        ("--lr", lr),
    ):
        if value is not None:
            args += [flag, str(value)]
    return args + extra


def _check_arguments(
    backend: str, args: list[str], output_dir: Path, *, nproc: int | None, nodes: int | None
) -> None:
    """Every training argument, before torchrun or a cloud job starts and before any folder exists.

    The entry point's own parser judges its flags (training.args, the rules it runs with);
    a local run's folders must be creatable and writable here.
    """
    from training.args import TrainArgsError, check

    for flag, value in (("--nproc", nproc), ("--nodes", nodes)):
        if value is not None and value < 1:
            fail(f"{flag} must be >= 1 (got {value})")
    local = backend == "local"
    try:
        parsed = check([*args, "--output-dir", str(output_dir)] if local else args)
    except TrainArgsError as e:
        fail(f"training arguments: {e}")
    if local:
        check_output_dir(parsed.output_dir, "--output-dir")
        check_output_dir(parsed.ckpt_dir, "--ckpt-dir")


def _run_local(
    nproc: int, train_args: list[str], output_dir: Path, json_out: bool, dry_run: bool
) -> None:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from training.backends.local import LocalRun, LocalRunError, run_local

    try:
        plan = LocalRun(nproc, train_args, output_dir)  # validates the arguments; starts nothing
    except ValueError as e:  # e.g. --output-dir given after `--` instead of as an option
        fail(str(e))
    if dry_run:
        _print_local_plan(plan, json_out)
        return
    with Progress(
        TextColumn("[bold]train[/] {task.description}"),
        BarColumn(),
        MofNCompleteColumn(),
        TextColumn("loss {task.fields[loss]}"),
        TimeElapsedColumn(),
        console=err_console,
        transient=json_out,
    ) as bar:
        task = bar.add_task(f"local x{nproc}", total=None, loss="-")

        def on_event(ev: dict[str, Any]) -> None:
            if ev.get("event") == "start" and ev.get("resumed_from") is not None:
                bar.console.print(f"resuming from step {ev['resumed_from']}")
            bar.update(
                task,
                total=ev.get("max_steps"),
                completed=ev.get("step", 0),
                loss=ev.get("loss", bar.tasks[task].fields["loss"]),
            )

        try:
            summary = run_local(nproc, train_args, output_dir, on_event=on_event)
        except LocalRunError as e:
            fail(str(e), code=1)
    if json_out:
        print_json(summary)
    else:
        _print_summary(summary)
    if summary.get("status") == "interrupted":
        # Checkpointed but not finished: scripts must not mistake it for a completed run.
        raise typer.Exit(INTERRUPTED_EXIT.get(summary.get("signal", ""), 143))


def _print_summary(summary: dict[str, Any]) -> None:
    from rich.table import Table

    table = Table(title="training summary", show_header=False)
    resumed = summary.get("resumed_from_step") is not None
    for key in SUMMARY_ROWS:
        if key.endswith("_total") and not resumed:
            continue  # equal to this run's own figure on a fresh start
        if summary.get(key) is not None:
            table.add_row(key, _fmt(key, summary[key]))
    console.print(table)


def _print_local_plan(plan: Any, json_out: bool) -> None:
    """What `--dry-run` shows for the local backend: the launch, without launching it."""
    doc = {
        "backend": "local",
        "dry_run": True,
        "command": plan.command,
        "environment": {k: plan.env[k] for k in ("OMP_NUM_THREADS", "PYTHONUNBUFFERED")},
        "output_dir": str(plan.output_dir),
        "log_file": str(plan.log_path),
    }
    if json_out:
        print_json(doc)
        return
    from rich.table import Table

    table = Table(title="local dry run: nothing started", show_header=False)
    table.add_row("command", shlex.join(doc["command"]))
    for key in ("output_dir", "log_file"):
        table.add_row(key, doc[key])
    console.print(table)


def _fmt(key: str, value: Any) -> str:
    if key == "test_accuracy":
        return f"{value:.2%}"
    if key == "samples_per_second":
        return f"{value:,.0f}"
    if key.startswith("energy_kwh"):
        return f"{value:.3g} kWh ({value * 1000:.3g} Wh)"
    if key.startswith("emissions_kg"):
        return f"{value:.3g} kg CO2e ({value * 1000:.3g} g)"
    if key == "registered_model":
        return f"{value['name']} v{value['version']}"
    if isinstance(value, float):
        return f"{value:.4g}"
    return str(value)


@app.command()
def train(
    backend: str = typer.Option(..., "--backend", help=f"One of: {', '.join(BACKENDS)}."),
    stack: str | None = typer.Option(
        None, "--stack", help="Stack whose outputs a managed backend uses (default: <cloud>-dev)."
    ),
    outputs: Path | None = typer.Option(
        None, "--outputs", help="JSON file of stack outputs (`pulumi stack output --json`)."
    ),
    dry_run: bool = typer.Option(
        False,
        "--dry-run",
        help="Print what would run (local: the torchrun command; managed: the request); "
        "start and send nothing.",
    ),
    json_out: bool = typer.Option(False, "--json", help="Print one JSON document on stdout."),
    nproc: int | None = typer.Option(
        None, "--nproc", help="Local processes (local backend; default 2)."
    ),
    model: str = typer.Option(
        "digits", "--model", help="digits (classifier) or lm (tiny transformer)."
    ),
    max_steps: int | None = typer.Option(
        None, "--max-steps", help="Optimizer steps (digits 300, lm 200)."
    ),
    ckpt_dir: Path | None = typer.Option(
        None, "--ckpt-dir", help="Checkpoint directory (local default: <output-dir>/checkpoints)."
    ),
    output_dir: Path | None = typer.Option(
        None,
        "--output-dir",
        help="Local outputs: summary, MLflow store, logs (default runs/<model>).",
    ),
    seed: int | None = typer.Option(None, "--seed"),
    batch_size: int | None = typer.Option(None, "--batch-size", help="Per process."),
    lr: float | None = typer.Option(None, "--lr"),
    pool: str | None = typer.Option(
        None, "--pool", help="Node pool to size the job from (default: first spot GPU pool)."
    ),
    image: str | None = typer.Option(None, "--image", help="Container image (managed backends)."),
    nodes: int | None = typer.Option(None, "--nodes", help="Nodes (managed backends; default 1)."),
    spot: bool = typer.Option(False, "--spot", help="Spot capacity (default: the pool's)."),
    on_demand: bool = typer.Option(
        False, "--on-demand", help="On-demand capacity (default: the pool's)."
    ),
    spot_trace: str | None = typer.Option(
        None, "--spot-trace", help="Local: replay this spot trace (preempt, resume, bill)."
    ),
    time_scale: float = typer.Option(3600.0, "--time-scale", help="Trace seconds per wall s."),
    spot_policy: str = typer.Option("pioneer", "--spot-policy", help="With --spot-trace."),
    extra: list[str] = typer.Argument(None, help="More entry-point arguments, after `--`."),
) -> None:
    """Train the shared PyTorch code: locally with torchrun, or submit it to a managed backend."""
    if backend not in BACKENDS:
        fail(f"--backend: {backend!r} is not one of {', '.join(BACKENDS)}")
    if model not in ("digits", "lm"):
        fail(f"--model: {model!r} is not one of digits, lm")
    if spot and on_demand:
        fail("--spot and --on-demand: give one of them (or neither for the pool's capacity)")
    given = {
        "--nproc": nproc,
        "--output-dir": output_dir,
        "--spot-trace": spot_trace,
        "--stack": stack,
        "--outputs": outputs,
        "--pool": pool,
        "--image": image,
        "--nodes": nodes,
        "--spot": spot or None,
        "--on-demand": on_demand or None,
    }
    for flag in LOCAL_ONLY if backend != "local" else MANAGED_ONLY:
        if given[flag] is not None:
            where = "--backend local" if flag in LOCAL_ONLY else "the managed backends"
            fail(f"{flag}: only for {where}, not --backend {backend}")
    args = _train_args(model, max_steps, ckpt_dir, seed, batch_size, lr, list(extra or []))
    out = output_dir or Path("runs") / model
    _check_arguments(backend, args, out, nproc=nproc, nodes=nodes)
    if backend == "local" and spot_trace:
        from stacks.cli.spot_train import train_on_trace

        return train_on_trace(nproc or 2, args, out, spot_trace, time_scale, spot_policy, json_out)
    if backend == "local":
        _run_local(nproc or 2, args, out, json_out, dry_run)
        return

    from stacks.config import spec_from_stack
    from stacks.plan import plan_outputs
    from training.outputs import OutputsError, load_stack_outputs
    from training.submission import build_job, default_stack

    stack = stack or default_stack(backend)
    with user_errors(OutputsError, ValueError):
        _, _, spec = spec_from_stack(stack)
        job = build_job(
            backend=backend,
            spec=spec,
            train_args=args,
            pool=pool,
            nodes=nodes or 1,
            capacity="spot" if spot else "on_demand" if on_demand else None,
            image=image,
        )
        stack_outputs = load_stack_outputs(stack, outputs, dry_run, plan_outputs)
    try:
        module = get_backend(backend)
    except ImportError as e:
        fail(f"backend {backend} is not available: {e}")
    with user_errors(ValueError, KeyError):
        if dry_run:
            request = module.dry_run(job, stack_outputs)
            if json_out:
                print_json(request)
            else:
                console.print_json(data=request, default=str)
            return
        handle = module.submit(job, stack_outputs)
    result = {
        "backend": backend,
        "stack": stack,
        "job": job.name,
        "status": handle.status() if hasattr(handle, "status") else None,
        "handle": repr(handle),
    }
    if json_out:
        print_json(result)
    else:
        console.print(f"submitted [bold]{job.name}[/] to {backend}: {result['status']}")
