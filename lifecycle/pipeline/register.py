"""Register, promote and roll back: MLflow model versions, aliases, and the audit log.

A version is registered only after its gate passed; it gets the `candidate`
alias. Promotion (automatic, or `pioneer pipeline promote` after a manual
approval) moves `production`; a rollback moves it back to the version it
replaced. Each of these is one audit entry with who, what, when and why.
"""

from __future__ import annotations

from typing import Any

from lifecycle.registry import CANDIDATE, PREVIOUS_TAG, PRODUCTION, RefError, Registry, parse_ref
from lifecycle.store import Store
from training.tracking import use_tracking_uri

WEIGHTS_TAG = "pioneer.weights_sha256"


def find_by_weights(reg: Registry, name: str, weights: str) -> int | None:
    """An existing version of `name` with exactly these weights (a rerun registers nothing new)."""
    from mlflow.exceptions import MlflowException

    try:
        versions = reg.client.search_model_versions(f"name = '{name}'")
    except MlflowException:
        return None
    for mv in versions:
        if (mv.tags or {}).get(WEIGHTS_TAG) == weights:
            return int(mv.version)
    return None


def log_and_register(
    store: Store,
    name: str,
    experiment: str,
    model: Any,
    params: dict[str, Any],
    metrics: dict[str, float],
    tags: dict[str, str],
) -> tuple[int, str]:
    """A new MLflow run holding the model, registered as a new version of `name`."""
    import mlflow
    import mlflow.pytorch
    import torch

    use_tracking_uri(store.tracking_uri, registry=True)
    exp = mlflow.get_experiment_by_name(experiment)
    exp_id = (
        exp.experiment_id
        if exp is not None
        else mlflow.create_experiment(experiment, artifact_location=store.artifacts_dir.as_uri())
    )
    with mlflow.start_run(experiment_id=exp_id) as run:
        mlflow.log_params({k: str(v)[:500] for k, v in params.items()})
        mlflow.log_metrics(metrics)
        info = mlflow.pytorch.log_model(
            model,
            name="model",
            registered_model_name=name,
            serialization_format="pickle",
            pip_requirements=[f"torch=={torch.__version__.split('+')[0]}"],
        )
    version = int(info.registered_model_version)
    reg = Registry(store.tracking_uri)
    reg.set_tags(name, version, tags)
    reg.set_alias(name, CANDIDATE, version)
    return version, run.info.run_id


def production(reg: Registry, name: str) -> int | None:
    return reg.alias_version(name, PRODUCTION)


def promote(store: Store, ref_text: str, reason: str) -> dict[str, Any]:
    """Point `production` at the version; one audit entry."""
    reg = Registry(store.tracking_uri)
    target = reg.resolve(ref_text)
    before = reg.set_alias(target.name, PRODUCTION, target.version)
    entry = store.audit.append(
        "promote",
        f"{target.name}:{target.version}",
        reason,
        {"from_version": before, "to_version": target.version},
    )
    return {"model": target.name, "version": target.version, "previous": before, "audit": entry}


def rollback(store: Store, name: str, reason: str) -> dict[str, Any]:
    """Move `production` back to the version the current one replaced."""
    reg = Registry(store.tracking_uri)
    ref = parse_ref(name)
    current = reg.resolve(f"{ref.name}:{PRODUCTION}")
    previous = current.tags.get(PREVIOUS_TAG)
    if previous is None:
        raise RefError(
            f"{ref.name}:{current.version} replaced no earlier version: nothing to roll back to"
        )
    # Set directly: a rollback must not record the rolled-back version as this one's predecessor.
    reg.client.set_registered_model_alias(ref.name, PRODUCTION, previous)
    entry = store.audit.append(
        "rollback",
        f"{ref.name}:{previous}",
        reason,
        {"from_version": current.version, "to_version": int(previous)},
    )
    return {
        "model": ref.name,
        "version": int(previous),
        "previous": current.version,
        "audit": entry,
    }
