"""How long the offline plan of the azure-dev stack takes, cold and warm (prints figures only).

    .venv/bin/python benchmarks/azure_plan.py [--runs 5]
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings

warnings.filterwarnings("ignore", category=DeprecationWarning)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5, help="warm runs after the first (default 5)")
    args = parser.parse_args()
    start = time.perf_counter()
    from stacks.plan import run_plan
    imported = time.perf_counter()
    first = run_plan("azure-dev")
    cold = time.perf_counter() - imported
    warm = []
    for _ in range(args.runs):
        t = time.perf_counter()
        run_plan("azure-dev")
        warm.append(time.perf_counter() - t)
    resources = first.run.resources
    print(f"azure-dev: {len(resources)} resources registered "
          f"({sum(r.type.startswith('azure-native:') for r in resources)} Azure, "
          f"{sum(r.type.startswith('pioneer:azure:') for r in resources)} pioneer:azure components)")
    print(f"import stacks.plan       {imported - start:6.2f} s")
    print(f"first run_plan (cold)    {cold:6.2f} s")
    print(f"warm run_plan, median    {statistics.median(warm):6.2f} s  (n={len(warm)}, "
          f"min {min(warm):.2f}, max {max(warm):.2f})")
    print(f"load average at the end  {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
