"""How long pricing takes: the estimate of a plan document, and plan + estimate of each stack.

Run: .venv/bin/python benchmarks/cost_estimate.py  (prints figures; asserts nothing)
"""

from __future__ import annotations

import time

from cost.catalog import get_catalog
from cost.estimate import estimate_preview
from stacks.plan import preview_document, run_plan


def main() -> None:
    t0 = time.perf_counter()
    get_catalog()
    print(
        f"catalog load: {time.perf_counter() - t0:.3f} s "
        f"({len(get_catalog().offers)} accelerator offers)"
    )
    for stack in ("aws-dev", "gcp-dev", "azure-dev"):
        t0 = time.perf_counter()
        doc = preview_document(run_plan(stack))
        t1 = time.perf_counter()
        runs = 20
        for _ in range(runs):
            est = estimate_preview(doc)
        t2 = time.perf_counter()
        print(
            f"{stack}: plan {t1 - t0:.2f} s, estimate of {len(doc['steps'])} steps "
            f"{(t2 - t1) / runs * 1000:.1f} ms, ${est['monthly_usd']:,.2f}/month (default usage)"
        )


if __name__ == "__main__":
    main()
