"""`pioneer monitor run | simulate`: checks on captured traffic; injected shifts to prove them."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import TYPE_CHECKING

import typer

# Light modules only at module level (numpy, scipy, pydantic, yaml load when a command runs).
from lifecycle.monitoring.trigger import start_pipeline, trigger
from lifecycle.registry import RefError, Registry, parse_ref
from lifecycle.store import Store
from stacks.cli import app
from stacks.cli.common import console, err_console, print_json, user_errors

if TYPE_CHECKING:
    from rich.table import Table

    from lifecycle.monitoring import checks
    from lifecycle.monitoring.baseline import Baseline
    from lifecycle.monitoring.spec import MonitoringSpec

monitor_app = typer.Typer(
    help="Data quality, drift and model quality on captured requests.", no_args_is_help=True
)
app.add_typer(monitor_app, name="monitor")

# Options both commands take (one definition, one help text).
SPEC_OPTION = typer.Option(None, "--spec", help="Monitoring spec YAML (default: the defaults).")
STORE_OPTION = typer.Option(
    None, "--store", help="Lifecycle store (default: PIONEER_STORE or .pioneer/lifecycle)."
)
JSON_OPTION = typer.Option(False, "--json", help="Print one JSON document on stdout.")
# lifecycle.monitoring.shifts.SHIFTS, written out so `--help` needn't import numpy and scipy;
# simulate checks --shift against the real tuple.
SHIFT_NAMES = ("none", "rotate", "noise", "brightness", "prior")


def _errors() -> tuple[type[Exception], ...]:
    """The errors both commands report as a user error (their modules load numpy, pydantic)."""
    from lifecycle.monitoring.baseline import BaselineError
    from lifecycle.monitoring.spec import MonitorSpecError

    return (MonitorSpecError, BaselineError, RefError, ValueError)


def _baseline(ref: str, store: Store) -> Baseline:
    """A .npz path, or MODEL[:VERSION|:ALIAS] → the baseline written at registration."""
    from lifecycle.monitoring.baseline import load

    if ref.endswith(".npz") or Path(ref).is_file():
        return load(ref)
    model = parse_ref(ref)
    version = model.version
    if version is None:
        version = Registry(store.tracking_uri).resolve(model).version
    return load(store.baseline_path(model.name, version))


def _spec(path: Path | None) -> MonitoringSpec:
    from lifecycle.monitoring.spec import MonitoringSpec

    return MonitoringSpec.load(path) if path else MonitoringSpec.parse({})


def _table(result: checks.MonitorResult, title: str) -> Table:
    from rich.table import Table

    table = Table(title=title)
    for col in ("check", "status", "result"):
        table.add_column(col)
    style = {"breach": "bold red", "ok": "green", "skipped": "dim"}
    for c in result.checks:
        table.add_row(c.name, c.status, c.summary, style=style[c.status])
    return table


@monitor_app.command("run")
def run_cmd(
    capture: Path = typer.Option(..., "--capture", help="Capture .jsonl file or folder."),
    baseline: str = typer.Option(
        ..., "--baseline", help="MODEL[:VERSION] in the store, or a baseline .npz."
    ),
    spec_path: Path = SPEC_OPTION,
    labels: Path = typer.Option(None, "--labels", help="Ground truth JSON lines {id, label}."),
    report: Path = typer.Option(None, "--report", help="Write an HTML report here."),
    store_dir: Path = STORE_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Every check on the captured requests; exit 3 drift, 4 data quality, 5 model quality,
    6 latency/errors."""
    from lifecycle.monitoring import checks, traffic
    from lifecycle.monitoring.report import write_html

    with user_errors(*_errors()):
        spec = _spec(spec_path)
        store = Store.default(store_dir)
        base = _baseline(baseline, store)
        seen = traffic.read(capture, base.X.shape[1])
        truth = traffic.read_labels(labels) if labels else None
        result = checks.run(spec, base, seen, truth)
    doc = {"capture": str(capture), "baseline": base.source, **result.as_dict()}
    if report:
        write_html(report, spec, base, result, f"pioneer monitor: {capture}")
        doc["report"] = str(report)
        err_console.print(f"report written to {report}")
    watched = [n for n in result.breaches if n in spec.on_breach.checks]
    audit = store.audit
    if watched:
        audit.append(
            "alert",
            base.source,
            f"monitoring breach: {', '.join(watched)}",
            {"capture": str(capture), "checks": result.as_dict()["checks"]},
        )
    if spec.on_breach.action == "retrain" and spec.on_breach.pipeline:
        decision = trigger(
            spec.on_breach.pipeline,
            breached=bool(watched),
            state_path=store.root / "monitoring" / "retrain-state.json",
            cooldown=timedelta(minutes=spec.on_breach.cooldown_minutes),
            reason=f"monitoring breach: {', '.join(watched)}",
            audit=audit,
            start=start_pipeline,
        )
        doc["retrain"] = {
            "started": decision.started,
            "reason": decision.reason,
            "handle": decision.handle,
        }
    if json_out:
        print_json(doc)
    else:
        console.print(_table(result, f"{capture} vs {base.source}: {result.rows} rows"))
        if "retrain" in doc:
            console.print(f"retrain: {doc['retrain']['reason']}")
    if result.exit_code:
        raise typer.Exit(result.exit_code)


@monitor_app.command("simulate")
def simulate_cmd(
    out: Path = typer.Option(..., "--out", help="Capture .jsonl to write."),
    shift: str = typer.Option("rotate", "--shift", help=f"One of {', '.join(SHIFT_NAMES)}."),
    severity: float = typer.Option(1.0, "--severity", min=0.0, max=3.0, help="Shift strength."),
    clean: int = typer.Option(300, "--clean", min=0, max=100_000, help="Clean requests first."),
    drifted: int = typer.Option(300, "--drifted", min=1, max=100_000, help="Then drifted ones."),
    seed: int = typer.Option(0, "--seed", help="Random seed."),
    baseline: str = typer.Option(
        None, "--baseline", help="MODEL[:VERSION] or .npz (default: digits training split)."
    ),
    baseline_out: Path = typer.Option(None, "--baseline-out", help="Also write the baseline."),
    spec_path: Path = SPEC_OPTION,
    store_dir: Path = STORE_OPTION,
    json_out: bool = JSON_OPTION,
) -> None:
    """Held-out digits, then the same images shifted; reports the detection delay in requests."""
    import numpy as np

    from lifecycle.capture import CaptureWriter
    from lifecycle.monitoring import shifts
    from lifecycle.monitoring.baseline import digits_baseline

    with user_errors(*_errors()):
        if shift not in shifts.SHIFTS:
            raise ValueError(f"--shift: {shift!r} is not one of {', '.join(shifts.SHIFTS)}")
        spec = _spec(spec_path)
        store = Store.default(store_dir)
        base = _baseline(baseline, store) if baseline else digits_baseline()
    err_console.print(f"drawing {clean} clean + {drifted} '{shift}' requests from held-out digits")
    rng = np.random.default_rng(seed)
    predict = shifts.predictor(base)
    Xc, _ = shifts.draw(base, "none", clean, rng)
    Xd, _ = shifts.draw(base, shift, drifted, rng, severity)
    docs = shifts.records(Xc, predict(Xc)) + shifts.records(Xd, predict(Xd), start=clean)
    out.unlink(missing_ok=True)
    writer = CaptureWriter(out)
    for d in docs:
        writer.write(d)
    if baseline_out:
        base.save(baseline_out)
    found = shifts.detect(spec, base, docs, onset=clean, shift=shift)
    doc = {
        "capture": str(out),
        "shift": shift,
        "severity": severity,
        "clean": clean,
        "drifted": drifted,
        "detected_at": found.detected_at,
        "delay_requests": found.delay,
        "checks": found.checks,
        "baseline": str(baseline_out) if baseline_out else base.source,
    }
    if json_out:
        print_json(doc)
        return
    if found.delay is None:
        console.print(f"'{shift}' not detected in {drifted} requests ({out})")
    elif found.delay <= 0:
        console.print(
            f"breach at request {found.detected_at}, before the shift began (false alarm)"
        )
    else:
        console.print(
            f"'{shift}' detected {found.delay} requests after it began "
            f"({', '.join(found.checks)}); capture in {out}"
        )
