"""How long `optimize` takes for one workload over the whole catalog (median of runs).

    .venv/bin/python benchmarks/optimizer_speed.py [--runs 20]

The workload is examples/reference-workload.yaml with every cloud, region and
accelerator allowed, 16 nodes max and no quotas: the largest search the catalog gives.
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import yaml

from cost.catalog import get_catalog
from cost.optimize import optimize
from cost.workload import Workload

ROOT = Path(__file__).resolve().parents[1]


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--runs", type=int, default=20)
    args = ap.parse_args()
    data = yaml.safe_load((ROOT / "examples" / "reference-workload.yaml").read_text())
    for key in ("regions", "quotas", "min_accelerator_memory_gib"):
        data.pop(key, None)
    data.update(max_nodes=16, min_accelerator_memory_gib=1)
    w = Workload.parse(data)
    get_catalog()  # load the snapshot once, as a long-lived process would
    optimize(w)  # warm-up
    times = []
    for _ in range(args.runs):
        t = time.perf_counter()
        r = optimize(w)
        times.append(time.perf_counter() - t)
    print(
        f"offers in catalog: {len(get_catalog().offers)}; plans evaluated per run: "
        f"{r.considered} (offers x 1..16 nodes x 3 modes); feasible: {r.feasible}"
    )
    print(
        f"median {statistics.median(times) * 1000:.1f} ms, min {min(times) * 1000:.1f} ms, "
        f"max {max(times) * 1000:.1f} ms over {args.runs} runs"
    )


if __name__ == "__main__":
    main()
