"""Run a pipeline here, step by step: validate data → train → evaluate → gate → register → promote.

Each step's cache key is the hash of its inputs; a step whose key is in the
cache is not run again and says so. The gate, registration and promotion read
the registry's current state, so they always run (registration finds an
existing version with the same weights instead of adding a copy).

kfp's local runner is not used: kfp cannot be installed next to this
project's kubernetes client pin (kfp needs kubernetes<31), so the runner is
this short sequential loop over the same steps the compiled pipelines hold.
"""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lifecycle import lineage, model_card
from lifecycle.digest import code_revision, file_sha256, json_sha256, tree_sha256
from lifecycle.pipeline import data as data_step
from lifecycle.pipeline import evaluate as eval_step
from lifecycle.pipeline import gate as gate_step
from lifecycle.pipeline import register as reg_step
from lifecycle.pipeline.cache import StepCache
from lifecycle.pipeline.spec import PipelineSpec
from lifecycle.registry import Registry
from lifecycle.store import Store

REPO = Path(__file__).resolve().parents[2]
STEPS = ("validate", "train", "evaluate", "gate", "register", "promote")

Event = Callable[[str, str, str], None]  # (step, status, detail); status: start|ran|cached|…


class PipelineFailed(RuntimeError):
    def __init__(self, step: str, message: str, result: PipelineResult):
        self.step, self.result = step, result
        super().__init__(f"step {step} failed: {message}")


@dataclass
class StepResult:
    name: str
    status: str  # ran | cached | failed | skipped
    seconds: float = 0.0
    key: str | None = None
    outputs_digest: str | None = None
    detail: str = ""


@dataclass
class PipelineResult:
    pipeline: str
    model: str
    steps: list[StepResult] = field(default_factory=list)
    version: int | None = None
    gate: dict[str, Any] | None = None
    production: int | None = None
    seconds: float = 0.0

    def as_dict(self) -> dict[str, Any]:
        return {
            "pipeline": self.pipeline,
            "model": self.model,
            "version": self.version,
            "production": self.production,
            "gate": self.gate,
            "seconds": round(self.seconds, 3),
            "steps": [s.__dict__ for s in self.steps],
        }


def _noop(step: str, status: str, detail: str) -> None:
    pass


def run(
    spec: PipelineSpec, store: Store, spec_dir: Path = Path("."), on_event: Event = _noop
) -> PipelineResult:
    from training.train import parse_args

    store.ensure()
    cache = StepCache(store.cache_dir)
    result = PipelineResult(spec.name, spec.registry.model)
    t_all = time.perf_counter()

    def step(name: str, key: str | None, body: Callable[[Path | None], dict[str, Any]]) -> dict:
        """Run `body` (or take its cached outputs) and record the step."""
        on_event(name, "start", "")
        t0 = time.perf_counter()
        cached = cache.load(name, key) if key else None
        if key and cached is not None:
            res = StepResult(
                name, "cached", time.perf_counter() - t0, key, json_sha256(cached), "cache hit"
            )
            result.steps.append(res)
            on_event(name, "cached", f"cache hit {key[:12]}")
            cached["_dir"] = str(cache.path(name, key))
            return cached
        work = cache.workdir(name, key) if key else None
        try:
            outputs = body(work)
        except Exception as e:
            result.steps.append(StepResult(name, "failed", time.perf_counter() - t0, key))
            on_event(name, "failed", str(e))
            for rest in STEPS[STEPS.index(name) + 1 :]:
                result.steps.append(StepResult(rest, "skipped"))
            result.seconds = time.perf_counter() - t_all
            raise PipelineFailed(name, str(e), result) from e
        detail = outputs.pop("_detail", "")
        if key and work is not None:
            outputs["_dir"] = str(cache.commit(name, key, work, outputs))
        result.steps.append(
            StepResult(
                name,
                "ran",
                time.perf_counter() - t0,
                key,
                json_sha256({k: v for k, v in outputs.items() if k != "_dir"}),
                detail,
            )
        )
        on_event(name, "ran", detail)
        return outputs

    # 1. data validation
    ds = data_step.resolve(spec.dataset, spec_dir)
    schema = spec.dataset.expected_schema.model_dump()
    validated = step(
        "validate",
        cache.key("validate", {"dataset": ds.digest, "schema": schema}),
        lambda work: {
            "report": data_step.validate(ds, spec.dataset),
            "_detail": f"{ds.path.name}: all checks passed",
        },
    )

    # 2. training: the shared entry point under torchrun, as `pioneer train --backend local`
    config = vars(parse_args([*spec.training.args, "--tracking", "none", "--output-dir", "."]))
    config = {k: (str(v) if isinstance(v, Path) else v) for k, v in config.items()}
    for k in ("output_dir", "ckpt_dir"):
        config.pop(k)
    code = code_revision(REPO)
    lock = REPO / "constraints.txt"
    train_inputs = {
        "dataset": ds.digest,
        "config": config,
        "processes": spec.training.local_processes,
        "training_code": tree_sha256(REPO / "training", "**/*.py"),
        "package_lock": file_sha256(lock) if lock.is_file() else None,
    }

    def train(work: Path | None) -> dict[str, Any]:
        from training.backends.local import run_local

        assert work is not None
        if ds.path != data_step.sklearn_digits_path():
            raise RuntimeError(
                f"the shared training code reads scikit-learn's digits file; {ds.path} is "
                "validated but training cannot read it (dataset.location: sklearn:digits)"
            )
        args = [*spec.training.args, "--tracking", "none"]

        def progress(ev: dict[str, Any]) -> None:
            if "step" in ev and ev.get("max_steps"):
                on_event("train", "progress", f"step {ev['step']}/{ev['max_steps']}")

        summary = run_local(spec.training.local_processes, args, work, on_event=progress)
        if summary.get("status") != "completed":
            raise RuntimeError(f"training ended {summary.get('status')}")
        return {
            "summary": {k: v for k, v in summary.items() if k not in ("log_file", "exit_code")},
            "weights_sha256": summary["weights_sha256"],
            "_detail": f"{summary['final_step']} steps, weights {summary['weights_sha256'][:12]}",
        }

    trained = step("train", cache.key("train", train_inputs), train)
    train_dir = Path(trained["_dir"])

    # 3. evaluation on the held-out split
    x_tr, y_tr, x_te, y_te = eval_step.eval_split(config)
    eval_spec = spec.evaluation.model_dump()

    def evaluate(work: Path | None) -> dict[str, Any]:
        model = eval_step.load_trained(train_dir, config)
        metrics = eval_step.evaluate(model, x_te, y_te, spec.evaluation.latency_samples)
        assert work is not None
        (work / "metrics.json").write_text(json.dumps(metrics, indent=2))
        return {
            "metrics": metrics,
            "_detail": f"accuracy {metrics['accuracy']:.4f}, "
            f"p50 {metrics['latency_ms_p50']:.3f} ms",
        }

    evaluated = step(
        "evaluate",
        cache.key(
            "evaluate",
            {"weights": trained["weights_sha256"], "eval": eval_spec, "dataset": ds.digest},
        ),
        evaluate,
    )
    metrics = evaluated["metrics"]

    # 4. gate: thresholds, current production, cost and carbon of the job
    reg = Registry(store.tracking_uri)
    name = spec.registry.model
    prod_version = reg_step.production(reg, name)
    prod_record = lineage.load(store, name, prod_version) if prod_version else None
    prod = {"version": prod_version, "metrics": prod_record["metrics"]} if prod_record else None
    decision: dict[str, Any] = {}

    def gate(work: Path | None) -> dict[str, Any]:
        decision.update(gate_step.decide(spec, metrics, prod, gate_step.training_estimate(spec)))
        failed = [c["check"] for c in decision["checks"] if not c["passed"]]
        if failed:
            store.audit.append(
                "reject",
                f"{name}:weights-{trained['weights_sha256'][:12]}",
                "gate failed: " + "; ".join(failed),
                {"gate": decision, "pipeline": spec.name},
            )
            raise RuntimeError("gate failed: " + "; ".join(failed))
        return {"_detail": f"{len(decision['checks'])} checks passed"}

    result.gate = decision
    result.production = prod_version
    step("gate", None, gate)

    # 5. register (or find the version these weights already are)
    def register(work: Path | None) -> dict[str, Any]:
        existing = reg_step.find_by_weights(reg, name, trained["weights_sha256"])
        if existing is not None:
            result.version = existing
            return {"_detail": f"already registered as {name}:{existing}"}
        model = eval_step.load_trained(train_dir, config)
        record = {
            "model": name,
            "pipeline": spec.name,
            "dataset": {
                "path": str(ds.path),
                "digest": ds.digest,
                "version": ds.version,
                "rows": validated["report"]["rows"],
            },
            "code": code,
            "training": {
                "config": config,
                "job": spec.training.model_dump(),
                "summary": trained["summary"],
            },
            "package_lock_sha256": train_inputs["package_lock"],
            "hardware": {
                "device": trained["summary"]["device"],
                "world_size": trained["summary"]["world_size"],
                "machine": platform.machine(),
                "processor": platform.processor(),
                "python": platform.python_version(),
            },
            "metrics": {k: v for k, v in metrics.items() if k != "predictions"},
            "energy": {
                "kwh": trained["summary"].get("energy_kwh_total"),
                "kg_co2e": trained["summary"].get("emissions_kg_total"),
            },
            "parent": prod_version,
            "gate": decision,
            "steps": {s.name: {"key": s.key, "outputs": s.outputs_digest} for s in result.steps},
            "weights_sha256": trained["weights_sha256"],
        }
        version, run_id = reg_step.log_and_register(
            store,
            name,
            f"pipeline-{spec.name}",
            model,
            config,
            {k: v for k, v in record["metrics"].items() if isinstance(v, float)},
            {
                reg_step.WEIGHTS_TAG: trained["weights_sha256"],
                "pioneer.dataset_sha256": ds.digest,
                "pioneer.pipeline": spec.name,
            },
        )
        record |= {"version": version, "mlflow_run_id": run_id}
        baseline = store.baseline_path(name, version)
        baseline.parent.mkdir(parents=True, exist_ok=True)
        np.savez_compressed(
            baseline,
            X=x_tr,
            y=y_tr,
            eval_X=x_te,
            eval_y=y_te,
            eval_pred=np.asarray(metrics["predictions"]),
        )
        record["baseline"] = {"path": str(baseline), "digest": file_sha256(baseline)}
        lineage.write(store, record)
        model_card.write(store, record, spec.registry.intended_use)
        store.audit.append(
            "register",
            f"{name}:{version}",
            "gate passed",
            {
                "pipeline": spec.name,
                "gate": decision,
                "dataset": ds.digest,
                "weights": trained["weights_sha256"],
                "parent": prod_version,
            },
        )
        result.version = version
        return {"_detail": f"{name}:{version} (alias candidate)"}

    step("register", None, register)

    # 6. promote
    def promote(work: Path | None) -> dict[str, Any]:
        assert result.version is not None
        if prod_version == result.version:
            return {"_detail": f"{name}:{result.version} is already production"}
        if spec.promotion == "manual":
            return {
                "_detail": f"awaiting approval: pioneer pipeline promote {name}:{result.version}"
            }
        reg_step.promote(store, f"{name}:{result.version}", "gate passed; automatic promotion")
        result.production = result.version
        return {"_detail": f"production: {name}:{result.version} (was {prod_version})"}

    step("promote", None, promote)
    result.production = reg_step.production(reg, name)
    result.seconds = time.perf_counter() - t_all
    return result
