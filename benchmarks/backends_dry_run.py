"""How long each managed backend takes to build its request, and what it would ship.

Uses each dev stack's mocked outputs (`pioneer plan`) and the job `pioneer train`
builds by default (the stack's first spot GPU pool, one node, `--model digits`).

Run: .venv/bin/python benchmarks/backends_dry_run.py  (prints figures; asserts nothing)
"""

from __future__ import annotations

import json
import time

from stacks.config import spec_from_stack
from stacks.plan import run_plan
from training.backends import get_backend
from training.submission import build_job

STACKS = {"sagemaker": "aws-dev", "vertex": "gcp-dev", "azureml": "azure-dev"}


def main() -> None:
    for backend, stack in STACKS.items():
        outputs = run_plan(stack).run.outputs
        job = build_job(
            backend=backend, spec=spec_from_stack(stack)[2], train_args=["--model", "digits"]
        )
        module = get_backend(backend)
        t0 = time.perf_counter()
        module.dry_run(job, outputs)  # first call: SDK imports
        t1 = time.perf_counter()
        runs = 5
        for _ in range(runs):
            doc = module.dry_run(job, outputs)
        t2 = time.perf_counter()
        code = doc["uploads"][0]
        print(
            f"{backend} ({stack}, {job.nodes}x {job.accelerators_per_node}x{job.accelerator} "
            f"{job.capacity}): first dry run {t1 - t0:.2f} s, then "
            f"{(t2 - t1) / runs * 1000:.0f} ms; request {len(json.dumps(doc['request']))} "
            f"bytes; ships {code['files']} files from {code['from']}"
        )


if __name__ == "__main__":
    main()
