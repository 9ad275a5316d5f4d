"""A digits classifier trained here in a second and registered, for the load test and tests.

The pipeline registers the real model; this gives the benchmark and the tests one
without a torchrun job. Same model class and data split as `training/`.
"""

from __future__ import annotations

import inspect

from lifecycle.store import Store
from training.tracking import use_tracking_uri


def register_digits(
    store: Store, name: str = "pioneer-digits", steps: int = 300, seed: int = 0
) -> tuple[str, int]:
    """Train `DigitsMLP` on the training split, log and register it; (tracking_uri, version)."""
    import mlflow
    import torch
    from torch.nn import functional as F

    from training.data import digits
    from training.models import DigitsMLP

    uri = store.ensure().tracking_uri
    torch.set_num_threads(1)  # tiny tensors: more threads only contend on a busy machine
    torch.manual_seed(seed)
    x, y = digits().train.tensors  # type: ignore[attr-defined]
    model = DigitsMLP(hidden=64)
    opt = torch.optim.Adam(model.parameters(), lr=1e-2)
    for _ in range(steps):  # full batch: 1,437 rows
        opt.zero_grad()
        F.cross_entropy(model(x), y).backward()
        opt.step()
    model.eval()
    client = mlflow.MlflowClient(uri, uri)
    exp = client.get_experiment_by_name("serving")
    exp_id = (
        exp.experiment_id
        if exp
        else client.create_experiment("serving", artifact_location=store.artifacts_dir.as_uri())
    )
    use_tracking_uri(uri, registry=True)
    kwargs = {}
    if "serialization_format" in inspect.signature(mlflow.pytorch.log_model).parameters:
        kwargs["serialization_format"] = "pickle"
    with mlflow.start_run(experiment_id=exp_id):
        info = mlflow.pytorch.log_model(
            model,
            name="model",
            registered_model_name=name,
            pip_requirements=[f"torch=={torch.__version__.split('+')[0]}"],
            **kwargs,
        )
    return uri, int(info.registered_model_version)
