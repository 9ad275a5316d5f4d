"""Spot policies on the shipped traces, train and test sets named, single zone and multi-zone.

    .venv/bin/python benchmarks/spot_policies.py [--windows 16] [--multi-windows 8]

Setting of "Can't Be Late" (NSDI '24): a 48 h job, 0.1 h restart overhead, p3.2xlarge
$3.06/h on-demand vs about $0.97/h spot; deadlines 50 h (tighter), 52 h (the paper's),
60 h and 72 h (looser). Costs are normalised to on-demand only (1.000); "gap" is the mean
relative excess over the omniscient optimum.

Train/test split: policy constants were set looking at the train set
(`aws-2022-10-26`, 600 s ticks, us-west-2a/b); the test set (`aws-2023-04-22-preemption`,
32 s ticks, us-east-1c/f, us-west-2b/c) is only reported, never tuned on.

Multi-zone: the zones of one set replayed as one job that may move, 0.1 h to move the
checkpoint (plus R), 20 GiB checkpoint at $0.02/GiB between regions; rows are Uniform
Progress and the optimum in the best single zone (chosen in hindsight per window), the
greedy mover, pioneer's mover and the exact multi-zone optimum.
"""

from __future__ import annotations

import argparse
import time

from cost.multizone import MULTI_OPTIMUM, MultiZoneJob, evaluate_multi, zones_for
from cost.simulate import DEFAULT_POLICIES, evaluate, load_trace, shipped_traces
from cost.spot_policies import OPTIMUM, SpotJob

SETS = {"train": "aws-2022-10-26", "test": "aws-2023-04-22-preemption"}
# Multi-zone groups: traces of the same instance type in several zones.
TEST_ZONES = ("us-east-1c", "us-east-1f", "us-west-2b", "us-west-2c")
MULTI = {
    "train": [f"aws-2022-10-26/us-west-2{z}_v100_1" for z in "ab"],
    "test": [f"aws-2023-04-22-preemption/{z}_v100_1" for z in TEST_ZONES],
}


def single_zone(windows: int, deadlines: list[float]) -> None:
    print("| set | deadline | policy | cost vs on-demand | savings | gap to optimum | misses |")
    print("| --- | --- | --- | ---: | ---: | ---: | ---: |")
    for set_name, folder in SETS.items():
        traces = [load_trace(n) for n in shipped_traces() if n.startswith(folder + "/")]
        for d in deadlines:
            t = time.perf_counter()
            scores = evaluate(
                traces, SpotJob(48, d, 0.1, 3.06, 0.97), list(DEFAULT_POLICIES), windows=windows
            )
            for name, s in scores.items():
                gap = "-" if name == OPTIMUM else f"{s.mean_gap:.1%}"
                print(
                    f"| {set_name} ({folder}) | {d:g} h | {name} | {s.mean_cost:.3f} | "
                    f"{round(1 - s.mean_cost, 6) + 0.0:.1%} | {gap} | {s.misses}/{len(s.costs)} |"
                )
            print(f"<!-- {set_name} {d:g} h: {time.perf_counter() - t:.1f} s -->")


def multi_zone(windows: int, deadlines: list[float]) -> None:
    print(
        "\n| set | deadline | zones | row | cost vs on-demand | gap to multi-zone optimum | misses |"
    )
    print("| --- | --- | --- | --- | ---: | ---: | ---: |")
    for set_name, names in MULTI.items():
        traces = [load_trace(n) for n in names]
        zones = zones_for(traces, [0.97], [3.06])
        for d in deadlines:
            t = time.perf_counter()
            job = MultiZoneJob(48, d, 0.1, zones, migration_hours=0.1, checkpoint_gib=20)
            scores = evaluate_multi(traces, job, windows=windows)
            for name, s in scores.items():
                gap = "-" if name == MULTI_OPTIMUM else f"{s.mean_gap:.1%}"
                print(
                    f"| {set_name} | {d:g} h | {'+'.join(z.name for z in zones)} | {name} | "
                    f"{s.mean_cost:.3f} | {gap} | {s.misses}/{len(s.costs)} |"
                )
            print(f"<!-- multi {set_name} {d:g} h: {time.perf_counter() - t:.1f} s -->")


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--windows", type=int, default=16, help="windows per trace (single zone)")
    ap.add_argument("--multi-windows", type=int, default=8, help="windows per zone group")
    ap.add_argument("--deadlines", type=float, nargs="+", default=[50, 52, 60, 72])
    ap.add_argument("--multi-deadlines", type=float, nargs="+", default=[52, 60])
    args = ap.parse_args()
    print(
        f"C=48 h, R=0.1 h, $3.06 on-demand vs $0.97 spot; train = {SETS['train']}, "
        f"test = {SETS['test']}\n"
    )
    single_zone(args.windows, args.deadlines)
    multi_zone(args.multi_windows, args.multi_deadlines)


if __name__ == "__main__":
    main()
