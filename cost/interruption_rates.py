"""Spot interruption rates measured from the shipped spot traces, per cloud and accelerator.

Each trace gives interruptions per available hour (`cost.spot.trace_rate`: 1 -> 0 drops).
For the `aws-2023-04-22-preemption` set that is exactly what it measures (a p3.2xlarge
launched and held until preempted); for `aws-2022-10-26` it is a drop in obtainable
capacity, the closest proxy for losing a held instance. The optimizer uses the median of
a (cloud, accelerator)'s traces and names the range; where no trace exists (every GCP and
Azure accelerator, and AWS GPUs other than V100 and K80) it keeps the Spot Advisor bucket
or the cloud's assumed bucket, and says so.

Source: skypilot-org/spot-traces (Wu et al., "Can't Be Late", NSDI '24), copied in
cost/traces/ (SOURCES.md); dates are the folders' measurement start dates.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache

import numpy as np

from cost.spot import trace_rate

SOURCE = "skypilot-org/spot-traces"


@dataclass(frozen=True)
class MeasuredRate:
    cloud: str
    accelerator: str
    traces: tuple[str, ...]
    rates: tuple[float, ...]  # interruptions per instance-hour, one per trace
    dates: tuple[str, ...]

    @property
    def low(self) -> float:
        return min(self.rates)

    @property
    def median(self) -> float:
        return float(np.median(self.rates))

    @property
    def high(self) -> float:
        return max(self.rates)

    def source(self) -> str:
        return (
            f"measured: median of {len(self.rates)} {self.cloud} {self.accelerator} spot traces, "
            f"range {self.low:.3f}-{self.high:.3f}/h ({SOURCE}, {', '.join(self.dates)})"
        )

    def as_dict(self) -> dict:
        return {
            "cloud": self.cloud,
            "accelerator": self.accelerator,
            "traces": list(self.traces),
            "low_per_hour": round(self.low, 4),
            "median_per_hour": round(self.median, 4),
            "high_per_hour": round(self.high, 4),
            "source": SOURCE,
            "dates": list(self.dates),
        }


@cache
def measured_rates() -> dict[tuple[str, str], MeasuredRate]:
    """(cloud, accelerator) -> the rates of its shipped traces (`<zone>_<gpu>_<n>.json`
    in `<cloud>-<date>...` folders)."""
    from cost.simulate import load_trace, shipped_traces  # the simulator needs this module's users

    groups: dict[tuple[str, str], list[tuple[str, float, str]]] = {}
    for name in shipped_traces():
        folder, stem = name.split("/", 1)
        cloud, date = folder.split("-", 1)[0], "-".join(folder.split("-")[1:4])
        accel = stem.split("_")[1].upper()
        t = load_trace(name)
        groups.setdefault((cloud, accel), []).append(
            (name, trace_rate(t.available, t.gap_seconds), date)
        )
    return {
        key: MeasuredRate(
            key[0],
            key[1],
            tuple(n for n, _, _ in rows),
            tuple(r for _, r, _ in rows),
            tuple(sorted({d for _, _, d in rows})),
        )
        for key, rows in sorted(groups.items())
    }


def measured_rate(cloud: str, accelerator: str) -> MeasuredRate | None:
    return measured_rates().get((cloud, accelerator.upper()))
