"""False-positive rate and detection delay of `pioneer monitor` on injected digits shifts.

Clean windows are held-out digits (never trained on); each shift starts after
`--clean` clean requests and the checks run every `--step` requests over the
newest window, as a schedule would. Prints one table (or --json).

    python benchmarks/drift.py [--seeds 100] [--json]
"""

from __future__ import annotations

import argparse
import json

import numpy as np

from lifecycle import capture
from lifecycle.monitoring import checks, shifts
from lifecycle.monitoring.baseline import digits_baseline
from lifecycle.monitoring.spec import MonitoringSpec
from lifecycle.monitoring.traffic import collect


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--seeds", type=int, default=100, help="clean windows for the FP rate")
    ap.add_argument("--delay-seeds", type=int, default=10, help="runs per shift")
    ap.add_argument("--clean", type=int, default=200)
    ap.add_argument("--step", type=int, default=10)
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    spec = MonitoringSpec.parse({})
    base = digits_baseline()
    predict = shifts.predictor(base)

    false_alarms = 0
    for seed in range(args.seeds):
        X, _ = shifts.draw(base, "none", spec.window, np.random.default_rng(seed))
        docs = shifts.records(X, predict(X))
        result = checks.run(spec, base, collect((capture.parse(d) for d in docs), X.shape[1]))
        false_alarms += bool(result.breaches)

    delays: dict[str, list[int | None]] = {}
    for shift in shifts.SHIFTS[1:]:
        for seed in range(args.delay_seeds):
            rng = np.random.default_rng(1000 + seed)
            Xc, _ = shifts.draw(base, "none", args.clean, rng)
            Xd, _ = shifts.draw(base, shift, spec.window, rng)
            docs = shifts.records(Xc, predict(Xc)) + shifts.records(Xd, predict(Xd), args.clean)
            found = shifts.detect(spec, base, docs, onset=args.clean, step=args.step)
            delays.setdefault(shift, []).append(found.delay)

    doc = {
        "window": spec.window,
        "false_positive_rate": false_alarms / args.seeds,
        "clean_windows": args.seeds,
        "detection_delay_requests": {
            s: {
                "detected": sum(d is not None and d > 0 for d in v),
                "runs": len(v),
                "median": float(np.median([d for d in v if d is not None]))
                if any(d is not None for d in v)
                else None,
                "max": max((d for d in v if d is not None), default=None),
            }
            for s, v in delays.items()
        },
    }
    if args.json:
        print(json.dumps(doc, indent=2))
        return
    print(f"window {spec.window} requests, checks every {args.step} requests")
    print(
        f"false-positive rate: {false_alarms}/{args.seeds} clean windows "
        f"= {doc['false_positive_rate']:.1%}"
    )
    print(f"{'shift':<12}{'detected':>10}{'median delay':>14}{'max delay':>11}")
    for s, d in doc["detection_delay_requests"].items():
        print(f"{s:<12}{d['detected']:>5}/{d['runs']:<4}{d['median']!s:>14}{d['max']!s:>11}")


if __name__ == "__main__":
    main()
