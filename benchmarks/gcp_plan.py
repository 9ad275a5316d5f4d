"""How long the offline plan of the gcp-dev stack takes, and how much it declares.

    .venv/bin/python benchmarks/gcp_plan.py [RUNS]

Prints one line per run and a summary; no assertions (figures for the README).
"""

from __future__ import annotations

import statistics
import sys
import time
from collections import Counter

from stacks.plan import run_plan


def main(runs: int = 3) -> None:
    times = []
    plan = None
    for i in range(runs):
        start = time.perf_counter()
        plan = run_plan("gcp-dev")
        times.append(time.perf_counter() - start)
        note = " (includes importing pulumi_gcp)" if i == 0 else ""
        print(f"run {i + 1}: {times[-1]:.2f} s{note}")
    assert plan is not None
    kinds = Counter("component" if not r.custom else "provider"
                    if r.type.startswith("pulumi:providers:") else "cloud" for r in plan.run.resources)
    print(f"gcp-dev: {len(plan.run.resources)} registered ({kinds['cloud']} cloud resources, "
          f"{kinds['component']} components, {kinds['provider']} provider); "
          f"first {times[0]:.2f} s, then median {statistics.median(times[1:] or times):.2f} s")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 3)
