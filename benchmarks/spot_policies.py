"""Spot policies on the shipped traces: the paper's setting and tighter/looser deadlines.

    .venv/bin/python benchmarks/spot_policies.py [--windows 16]

Setting of "Can't Be Late" (NSDI '24): a 48 h job, 0.1 h restart overhead, p3.2xlarge
$3.06/h on-demand vs about $0.97/h spot; deadlines 50 h (tighter), 52 h (the paper's),
60 h and 72 h (looser). Costs are normalised to on-demand only (1.000); "gap" is the mean
relative excess over the omniscient optimum; every window of every shipped trace counts.
"""

from __future__ import annotations

import argparse
import time

from cost.spot_policies import OPTIMUM, SpotJob
from cost.simulate import DEFAULT_POLICIES, evaluate, load_trace, shipped_traces


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--windows", type=int, default=16, help="windows per trace")
    ap.add_argument("--deadlines", type=float, nargs="+", default=[50, 52, 60, 72])
    args = ap.parse_args()
    traces = [load_trace(n) for n in shipped_traces()]
    print(f"{len(traces)} traces x {args.windows} windows; C=48 h, R=0.1 h, $3.06 vs $0.97\n")
    print("| deadline | policy | cost vs on-demand | savings | gap to optimum | misses |")
    print("| --- | --- | ---: | ---: | ---: | ---: |")
    for d in args.deadlines:
        t = time.perf_counter()
        scores = evaluate(
            traces, SpotJob(48, d, 0.1, 3.06, 0.97), list(DEFAULT_POLICIES), windows=args.windows
        )
        for name, s in scores.items():
            gap = "-" if name == OPTIMUM else f"{s.mean_gap:.1%}"
            print(
                f"| {d:g} h | {name} | {s.mean_cost:.3f} | {round(1 - s.mean_cost, 6) + 0.0:.1%} | {gap} | "
                f"{s.misses}/{len(s.costs)} |"
            )
        print(f"<!-- {d:g} h: {time.perf_counter() - t:.1f} s -->")


if __name__ == "__main__":
    main()
