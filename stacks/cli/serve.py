"""`pioneer serve`, `pioneer deploy`, `pioneer rollback`: a registered model behind an endpoint."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import typer
from rich.table import Table

from stacks.cli import app
from stacks.cli.common import console, err_console, fail, print_json, user_errors

TARGETS = ("sagemaker", "vertex", "azureml", "kubernetes", "local")
DEFAULT_SPEC = Path(__file__).resolve().parents[2] / "examples" / "serving" / "digits.yaml"
# The options deploy and rollback share.
TARGET_OPT = typer.Option(..., "--target", help=f"One of: {', '.join(TARGETS)}.")
SPEC_OPT = typer.Option(DEFAULT_SPEC, "--spec", help="Serving spec YAML.")
STORE_OPT = typer.Option(None, "--store", help="Lifecycle store (.pioneer/lifecycle).")
JSON_OPT = typer.Option(False, "--json", help="Print one JSON document on stdout.")


def _open(target: str, store: Path | None, spec_file: Path) -> tuple[Any, Any]:
    """The checked target's lifecycle store and the validated serving spec."""
    if target not in TARGETS:
        fail(f"--target: {target!r} is not one of {', '.join(TARGETS)}")
    from lifecycle.serving.spec import ServingSpec
    from lifecycle.store import Store

    with user_errors(*_errors()):
        return Store.default(store), ServingSpec.load(spec_file)


def _errors() -> tuple[type[BaseException], ...]:
    from lifecycle.registry import RefError
    from lifecycle.serving.requests import DeployError
    from training.outputs import OutputsError

    return (RefError, DeployError, OutputsError, ValueError)


@app.command()
def serve(
    model: str = typer.Argument(..., help="MODEL[:ALIAS|:VERSION] in the registry."),
    local: bool = typer.Option(False, "--local", help="Serve here, on 127.0.0.1."),
    port: int = typer.Option(8080, "--port", min=0, max=65535),
    store: Path | None = typer.Option(
        None, "--store", help="Lifecycle store (.pioneer/lifecycle)."
    ),
    spec_file: Path = typer.Option(DEFAULT_SPEC, "--spec", help="Serving spec YAML (capture)."),
    quantize: bool = typer.Option(False, "--quantize", help="int8 dynamic quantization."),
    json_out: bool = JSON_OPT,
) -> None:
    """Serve a registered model over HTTP here (health, validation, capture, graceful stop)."""
    if not local:
        fail("serve: only --local is served from here; use `pioneer deploy --target T` for clouds")
    from lifecycle.serving.paths import capture_file
    from lifecycle.serving.server import build_app, load_predictor, make_server
    from lifecycle.serving.spec import ServingSpec
    from lifecycle.store import Store

    s = Store.default(store)
    with user_errors(*_errors()):
        spec = ServingSpec.load(spec_file)
        predictor = load_predictor(s.tracking_uri, model, quantize=quantize)
    variant = f"version-{predictor.version}"
    path = capture_file(s, f"{spec.name}-local", variant) if spec.capture.enabled else None
    server = make_server(
        build_app(predictor, path, spec.capture.sample_percent, variant=variant), port=port
    )
    info = {
        "url": f"http://127.0.0.1:{port}",
        "model": predictor.name,
        "version": predictor.version,
        "quantized": quantize,
        "capture": str(path) if path else None,
        "routes": ["GET /ping", "GET /health", "POST /invocations"],
    }
    if json_out:
        print_json(info)
    err_console.print(
        f"serving {predictor.name} v{predictor.version} on {info['url']} "
        f"(capture: {info['capture']}); Ctrl-C stops"
    )
    server.run()  # returns after a graceful shutdown on SIGINT/SIGTERM
    err_console.print("stopped")


def _deployment(
    target: str, stack: str, spec: Any, ref: str | None, outputs: Path | None, dry_run: bool, s: Any
) -> tuple[Any, Any, int]:
    from lifecycle.registry import Registry
    from lifecycle.serving import requests
    from lifecycle.serving.paths import deployment_file
    from lifecycle.serving.rollout import DeploymentState

    resolved = Registry(s.tracking_uri).resolve(ref or spec.model)
    stack_outputs: dict[str, Any] = {}
    if target != "local":
        from stacks.plan import plan_outputs
        from training.outputs import load_stack_outputs

        stack_outputs = load_stack_outputs(stack, outputs, dry_run, plan_outputs)
    endpoint = requests.endpoint_name(spec, stack)
    state = DeploymentState.load(
        deployment_file(s, endpoint, target), endpoint, target, resolved.name
    )
    return resolved, (stack_outputs, state), resolved.version


@app.command()
def deploy(
    target: str = TARGET_OPT,
    stack: str = typer.Option(..., "--stack", help="Stack whose outputs the endpoint uses."),
    model: str | None = typer.Option(None, "--model", help="Override the spec's model ref."),
    spec_file: Path = SPEC_OPT,
    canary: int | None = typer.Option(
        None, "--canary", min=1, max=50, help="First traffic share for the new version (%)."
    ),
    outputs: Path | None = typer.Option(None, "--outputs", help="Stack outputs JSON file."),
    store: Path | None = STORE_OPT,
    dry_run: bool = typer.Option(False, "--dry-run", help="Print the requests; send nothing."),
    json_out: bool = JSON_OPT,
) -> None:
    """Deploy a registered model to a target, with a canary and automatic rollback."""
    s, spec = _open(target, store, spec_file)
    from lifecycle.serving import requests
    from lifecycle.serving.paths import capture_file, deployment_file
    from lifecycle.serving.rollout import rollout, splits, window_stats

    with user_errors(*_errors()):
        if canary is not None:
            steps = sorted({canary, *(p for p in spec.canary.steps if p > canary), 100})
            spec = spec.model_copy(
                update={
                    "canary": spec.canary.model_copy(
                        update={"traffic_percent": canary, "steps": steps}
                    )
                }
            )
        resolved, (stack_outputs, state), version = _deployment(
            target, stack, spec, model, outputs, dry_run, s
        )
        plan = splits(state.serving, version, spec.canary.steps)

        def build(weights: dict[int, int]) -> dict[str, Any]:
            d = requests.Deployment(spec, resolved.name, weights, stack, stack_outputs)
            return requests.build(target, d)

        if dry_run:
            doc = {
                "target": target,
                "stack": stack,
                "model": f"{resolved.name}:{version}",
                "currently_serving": state.serving,
                "steps": [{"weights": w, "request": build(w)} for w in plan],
                "rollback_rule": spec.rollback.model_dump(),
            }
            if json_out:
                print_json(doc)
            else:
                console.print_json(data=doc, default=str)
            return
        apply: Callable[[dict[int, int]], Any]
        if target == "sagemaker":
            import boto3

            session = boto3.Session(region_name=stack_outputs["region"])
            apply = lambda w: requests.send_sagemaker(  # noqa: E731
                requests.Deployment(spec, resolved.name, w, stack, stack_outputs), session
            )
        elif target == "local":
            apply = build  # local: the split is the state file the rollout saves
        else:
            fail(
                f"--target {target}: sending is not implemented here (no cloud credentials on "
                "this machine); --dry-run prints the exact requests"
            )
        from lifecycle.capture import read

        def observe(v: int, since: Any) -> Any:
            folder = capture_file(s, state.endpoint, f"version-{v}").parent
            records = read(folder) if folder.exists() else iter(())
            return window_stats(records, v, since)

        result = rollout(
            state,
            version,
            spec.canary.steps,
            spec.rollback,
            spec.canary.bake_seconds,
            apply,
            observe,
            s.audit,
            lambda st: st.save(deployment_file(s, st.endpoint, target)),
        )
    doc = {"target": target, "model": f"{resolved.name}:{version}", **result.__dict__}
    if json_out:
        print_json(doc)
        return
    table = Table(title=f"deploy {resolved.name} v{version} → {target}")
    for col in ("weights", "requests", "errors", "p99 ms"):
        table.add_column(col)
    for st in result.steps:
        w = st["window"]
        table.add_row(str(st["weights"]), str(w["requests"]), str(w["errors"]), str(w["p99_ms"]))
    console.print(table)
    console.print(f"{result.outcome}" + (f": {result.reason}" if result.reason else ""))
    if result.outcome == "rolled_back":
        raise typer.Exit(1)


@app.command("rollback")
def rollback_cmd(
    target: str = TARGET_OPT,
    stack: str = typer.Option(..., "--stack"),
    spec_file: Path = SPEC_OPT,
    reason: str = typer.Option("manual rollback", "--reason", help="Recorded in the audit log."),
    store: Path | None = STORE_OPT,
    json_out: bool = JSON_OPT,
) -> None:
    """Restore the deployment before the current one at an endpoint (audited)."""
    s, spec = _open(target, store, spec_file)
    from lifecycle.serving.paths import deployment_file
    from lifecycle.serving.requests import endpoint_name
    from lifecycle.serving.rollout import DeploymentState, rollback

    with user_errors(*_errors()):
        endpoint = endpoint_name(spec, stack)
        path = deployment_file(s, endpoint, target)
        if not path.exists():
            raise ValueError(f"no deployment of {endpoint} on {target} recorded in {s.root}")
        state = DeploymentState.load(path, endpoint, target, spec.model.split(":")[0])
        # Records the restored split; a cloud endpoint gets it with `pioneer deploy` again.
        restored, entry = rollback(state, lambda w: None, s.audit, lambda st: st.save(path), reason)
    doc = {"endpoint": endpoint, "target": target, "restored": restored, "audit_seq": entry["seq"]}
    if json_out:
        print_json(doc)
    else:
        console.print(f"{endpoint} on {target}: restored {restored} (audit entry {entry['seq']})")
