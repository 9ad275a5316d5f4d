"""MLflow tracking: rank 0 logs params, metrics, the final model, and registers it.

Default store: `sqlite:///<store-dir>/mlflow.db` with artifacts under
`<store-dir>/mlartifacts` — a file on this machine, no server to start. The
store directory is the output directory, or on SageMaker `<ckpt-dir>/mlflow`
(training.dirs.tracking_dir: only the checkpoints survive a spot restart).
`--tracking-uri` (or MLFLOW_TRACKING_URI, which Azure ML and SageMaker's
managed MLflow set) points at a real server instead. The run id is kept in
the checkpoint, so a resumed job logs into the same run. Tracking never stops
training: if the store cannot be reached, a warning is logged and the run
continues untracked.
"""

from __future__ import annotations

import inspect
import logging
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

log = logging.getLogger("pioneer.tracking")

# MLflow 3 reports usage to its maintainers unless told not to; this code sends nothing anywhere.
os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
os.environ.setdefault("DO_NOT_TRACK", "true")

T = TypeVar("T")


def use_tracking_uri(uri: str, registry: bool = False) -> None:
    """Point this process's MLflow at `uri` without leaving MLFLOW_*_URI behind.

    mlflow.set_tracking_uri and set_registry_uri also export MLFLOW_TRACKING_URI and
    MLFLOW_REGISTRY_URI into os.environ (so that subprocesses inherit them). Left there, they
    outlive the caller: the next Tracker in this process, and every process started from it
    later (torchrun workers of another run), would take them for the user's choice and log or
    register into this store instead of their own output folder's.
    """
    import mlflow

    names = ("MLFLOW_TRACKING_URI", "MLFLOW_REGISTRY_URI")
    before = {name: os.environ.get(name) for name in names}
    mlflow.set_tracking_uri(uri)
    if registry:
        mlflow.set_registry_uri(uri)
    for name, value in before.items():
        if value is None:
            os.environ.pop(name, None)
        else:
            os.environ[name] = value


def default_tracking_uri(store_dir: Path) -> str:
    return f"sqlite:///{store_dir.resolve()}/mlflow.db"


class Tracker:
    """Does nothing unless `enabled` (rank 0 with tracking on); every method is cheap to call.

    `store_dir` holds the local store when no tracking URI is given.
    """

    def __init__(
        self, enabled: bool, store_dir: Path, experiment: str, tracking_uri: str | None = None
    ):
        self.enabled = enabled
        self.run_id: str | None = None
        self.store_dir = store_dir
        self.local_store = not (tracking_uri or os.environ.get("MLFLOW_TRACKING_URI"))
        self.tracking_uri = (
            tracking_uri or os.environ.get("MLFLOW_TRACKING_URI") or default_tracking_uri(store_dir)
        )
        self.artifact_root = (store_dir / "mlartifacts").resolve().as_uri()
        self.experiment = experiment
        self._mlflow: Any = None

    def _safely(self, what: str, fn: Callable[[], T]) -> T | None:
        if self._mlflow is None:
            return None
        try:
            return fn()
        except Exception as e:
            log.warning(
                "MLflow %s failed (%s: %s); continuing without tracking", what, type(e).__name__, e
            )
            self._mlflow = None
            return None

    def start(self, resume_run_id: str | None, params: dict[str, Any]) -> str | None:
        if not self.enabled:
            return None
        import mlflow

        # Quiet: the pickle-format notice and store migrations are not the user's business here.
        logging.getLogger("mlflow").setLevel(logging.ERROR)
        self._mlflow = mlflow
        self.run_id = self._safely(
            f"start ({self.tracking_uri})", lambda: self._start(mlflow, resume_run_id, params)
        )
        return self.run_id

    def _start(self, mlflow: Any, resume_run_id: str | None, params: dict[str, Any]) -> str:
        if self.local_store:
            self.store_dir.mkdir(parents=True, exist_ok=True)  # e.g. a first <ckpt-dir>/mlflow
        use_tracking_uri(self.tracking_uri)
        exp = mlflow.get_experiment_by_name(self.experiment)
        if exp is not None:
            exp_id = exp.experiment_id
        else:  # artifacts next to a local store; a server decides for itself
            exp_id = mlflow.create_experiment(
                self.experiment, artifact_location=self.artifact_root if self.local_store else None
            )
        run = None
        if resume_run_id:
            try:
                run = mlflow.start_run(run_id=resume_run_id)
            except Exception as e:  # the checkpoint may come from another store
                log.warning(
                    "cannot continue MLflow run %s (%s); starting a new one", resume_run_id, e
                )
        if run is None:
            run = mlflow.start_run(experiment_id=exp_id)
            mlflow.log_params({k: str(v) for k, v in params.items()})
        return str(run.info.run_id)

    def metrics(self, values: dict[str, float], step: int) -> None:
        self._safely("log_metrics", lambda: self._mlflow.log_metrics(values, step=step))

    def log_dict(self, doc: dict[str, Any], name: str) -> None:
        self._safely("log_dict", lambda: self._mlflow.log_dict(doc, name))

    def log_model(self, model: Any, registered_name: str) -> int | None:
        """Log the model and register a new version; returns the registered version."""
        return self._safely("log_model", lambda: self._log_model(model, registered_name))

    def _log_model(self, model: Any, registered_name: str) -> int | None:
        import torch

        kwargs: dict[str, Any] = {}
        if "serialization_format" in inspect.signature(self._mlflow.pytorch.log_model).parameters:
            kwargs["serialization_format"] = "pickle"  # newer MLflow's pt2 needs an input example
        info = self._mlflow.pytorch.log_model(
            model,
            name="model",
            registered_model_name=registered_name,
            # Fixed requirements: inferring them imports the world and can reach for the network.
            pip_requirements=[f"torch=={torch.__version__.split('+')[0]}"],
            **kwargs,
        )
        version = getattr(info, "registered_model_version", None)
        return int(version) if version is not None else None

    def end(self, status: str = "FINISHED") -> None:
        self._safely("end_run", lambda: self._mlflow.end_run(status=status))
        self._mlflow = None
