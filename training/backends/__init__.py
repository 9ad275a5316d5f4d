"""Training backends: one `TrainingJob`, one interface, many services.

Every managed backend module (`sagemaker`, `vertex`, `azureml`, `kubernetes`)
exposes:

- ``dry_run(job: TrainingJob, outputs: dict) -> dict`` — the exact request it
  would send (JSON-serialisable), built from the stack outputs;
- ``submit(job: TrainingJob, outputs: dict) -> JobHandle`` — sends it (needs
  real credentials);

and its handle offers ``status()``, ``wait()``, ``cancel()`` and ``logs()``
where the service has them. The local backend (`local`) runs torchrun on this
machine instead.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Protocol

BACKENDS = ("local", "sagemaker", "vertex", "azureml", "kubernetes")
# The cloud whose stack outputs each managed backend reads.
BACKEND_CLOUD = {"sagemaker": "aws", "vertex": "gcp", "azureml": "azure"}


class JobHandle(Protocol):
    def status(self) -> str: ...
    def wait(self) -> str: ...
    def cancel(self) -> None: ...
    def logs(self) -> str: ...


def get_backend(name: str) -> ModuleType:
    if name not in BACKENDS:
        raise KeyError(f"unknown backend {name!r}; backends: {', '.join(BACKENDS)}")
    return importlib.import_module(f"training.backends.{name}")
