"""The validate and evaluate steps as a container entry point, for the compiled pipelines.

    python lifecycle/pipeline/remote_step.py validate --spec S.yaml --data FILE --out DIR
    python lifecycle/pipeline/remote_step.py evaluate --spec S.yaml --checkpoints DIR --out DIR
    python lifecycle/pipeline/remote_step.py gate --spec S.yaml --metrics DIR --out DIR
    python lifecycle/pipeline/remote_step.py register --spec S.yaml --checkpoints DIR --metrics DIR

The same functions `pioneer pipeline run` calls here; each cloud's engine runs
this script in its processing/component container with the pioneer source on
the path. `evaluate` writes `<out>/metrics.json`, which the gate reads; a failing
gate exits 1 so the engine stops before `register` (MLflow at MLFLOW_TRACKING_URI,
which the managed services set).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, str(Path(__file__).resolve().parents[2]))


def main(argv: list[str] | None = None) -> int:
    from lifecycle.pipeline import data, evaluate
    from lifecycle.pipeline.spec import PipelineSpec
    from training.train import parse_args

    p = argparse.ArgumentParser(prog="remote_step")
    p.add_argument("step", choices=("validate", "evaluate", "gate", "register"))
    p.add_argument("--spec", type=Path, required=True)
    p.add_argument("--data", type=Path)
    p.add_argument("--checkpoints", type=Path)
    p.add_argument("--metrics", type=Path)
    p.add_argument("--out", type=Path, default=Path("."))
    a = p.parse_args(argv)
    spec = PipelineSpec.load(a.spec)
    a.out.mkdir(parents=True, exist_ok=True)
    if a.step == "validate":
        ds = data.resolve(spec.dataset.model_copy(update={"location": str(a.data)}), Path("."))
        try:
            report = data.validate(ds, spec.dataset)
        except data.DataValidationFailed as e:
            (a.out / "report.json").write_text(json.dumps(e.report, indent=2, default=str))
            print(e, file=sys.stderr)
            return 1
        (a.out / "report.json").write_text(json.dumps(report, indent=2, default=str))
        return 0
    config = vars(parse_args([*spec.training.args, "--tracking", "none", "--output-dir", "."]))
    if a.step == "gate":
        from lifecycle.pipeline.gate import decide, training_estimate

        metrics = json.loads((a.metrics / "metrics.json").read_text())
        decision = decide(spec, metrics, None, training_estimate(spec))
        (a.out / "gate.json").write_text(json.dumps(decision, indent=2, default=str))
        for c in decision["checks"]:
            print(("pass " if c["passed"] else "FAIL ") + c["check"], file=sys.stderr)
        return 0 if decision["passed"] else 1
    if a.step == "register":
        import mlflow.pytorch

        model = evaluate.load_trained(a.checkpoints.parent, config, a.checkpoints.name)
        metrics = json.loads((a.metrics / "metrics.json").read_text())
        with mlflow.start_run():
            mlflow.log_metrics({k: v for k, v in metrics.items() if isinstance(v, float)})
            mlflow.pytorch.log_model(model, name="model", registered_model_name=spec.registry.model)
        return 0
    model = evaluate.load_trained(a.checkpoints.parent, config, a.checkpoints.name)
    _, _, x, y = evaluate.eval_split(config)
    metrics = evaluate.evaluate(model, x, y, spec.evaluation.latency_samples)
    (a.out / "metrics.json").write_text(json.dumps(metrics, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
