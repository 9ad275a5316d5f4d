"""How long the offline plan of a stack takes, cold and warm (prints figures only).

.venv/bin/python benchmarks/plan_speed.py [STACK ...] [--runs 5]     # default: every stack
"""

from __future__ import annotations

import argparse
import os
import statistics
import time
import warnings
from collections import Counter

warnings.filterwarnings("ignore", category=DeprecationWarning)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("stacks", nargs="*", help="stack names (default: every stack in stacks/)")
    parser.add_argument("--runs", type=int, default=5, help="warm runs after the first (default 5)")
    args = parser.parse_args()
    start = time.perf_counter()
    from stacks.config import list_stacks
    from stacks.plan import run_plan

    print(f"import stacks.plan       {time.perf_counter() - start:6.2f} s")
    for stack in args.stacks or list_stacks():
        t = time.perf_counter()
        first = run_plan(stack)  # the first plan of a cloud also imports its provider SDK
        cold = time.perf_counter() - t
        warm = []
        for _ in range(args.runs):
            t = time.perf_counter()
            run_plan(stack)
            warm.append(time.perf_counter() - t)
        kinds = Counter(
            "component"
            if not r.custom
            else "provider"
            if r.type.startswith("pulumi:providers:")
            else "cloud"
            for r in first.run.resources
        )
        print(
            f"{stack}: {len(first.run.resources)} registered ({kinds['cloud']} cloud resources, "
            f"{kinds['component']} components, {kinds['provider']} providers)"
        )
        print(f"  first run_plan (cold)  {cold:6.2f} s")
        if warm:
            print(
                f"  warm run_plan, median  {statistics.median(warm):6.2f} s  (n={len(warm)}, "
                f"min {min(warm):.2f}, max {max(warm):.2f})"
            )
    print(f"load average at the end  {os.getloadavg()[0]:.2f} on {os.cpu_count()} CPUs")


if __name__ == "__main__":
    main()
