"""Energy and carbon of the lines of a cost estimate, and their totals.

A line's figures are the sum of its compute charges' estimates (`Charge.energy`,
computed by `cost.energy` from the same node-hours the dollars use). Lines without
compute (buckets, keys, NAT, ...) are reported as not estimated: no cloud publishes
per-resource energy for them, and zero would be a claim we cannot back.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any

NO_DATA = "no public per-resource energy data for this resource type"


def is_compute(type_: str) -> bool:
    """Node pools, VMs and clusters with inline pools: types that run machines."""
    from cost.report import resource_group  # the side-by-side grouping of resource types

    return resource_group(type_) == "node pools / compute" or type_.endswith(":ManagedCluster")


def _merge_factors(groups: Iterable[Iterable[Mapping[str, Any]]]) -> list[dict[str, Any]]:
    seen: dict[tuple[str, float], dict[str, Any]] = {}
    for factors in groups:
        for f in factors:
            seen.setdefault((f["name"], f["value"]), dict(f))
    return list(seen.values())


def _sum(values: list[float | None]) -> float | None:
    known = [v for v in values if v is not None]
    return round(sum(known), 6) if known else None


def line_energy(line: Mapping[str, Any]) -> dict[str, Any]:
    """``{kwh, kg_co2e, not_estimated, factors[, scope]}`` for one priced line (plain JSON)."""
    if line["status"] == "not_priced":
        why = (
            f"not priced, so no node-hours to estimate ({line['reason']})"
            if is_compute(line["type"])
            else NO_DATA
        )
        return {"kwh": None, "kg_co2e": None, "factors": [], "not_estimated": why}
    if line["status"] == "free":
        return {"kwh": None, "kg_co2e": None, "factors": [], "not_estimated": NO_DATA}
    parts = [c["energy"] for c in line["charges"] if "energy" in c]
    if not parts:
        return {"kwh": None, "kg_co2e": None, "factors": [], "not_estimated": NO_DATA}
    reasons = sorted({p["not_estimated"] for p in parts if p["not_estimated"]})
    out: dict[str, Any] = {
        "kwh": _sum([p["kwh"] for p in parts]),
        "kg_co2e": _sum([p["kg_co2e"] for p in parts]),
        "not_estimated": "; ".join(reasons) or None,
        "factors": _merge_factors(p["factors"] for p in parts),
    }
    others = [c["name"] for c in line["charges"] if "energy" not in c]
    if others:
        out["scope"] = (
            "compute node-hours only; not estimated: " + ", ".join(others) + f" ({NO_DATA})"
        )
    return out


def energy_totals(lines: Sequence[Mapping[str, Any]]) -> dict[str, Any]:
    """Monthly kWh and kgCO2e over the lines that have figures, and which ones do not."""
    with_kwh = [ln for ln in lines if ln["energy"]["kwh"] is not None]
    compute_missing = [
        {"name": ln["name"], "reason": ln["energy"]["not_estimated"]}
        for ln in lines
        if ln["energy"]["not_estimated"] and ln["energy"]["not_estimated"] != NO_DATA
    ]
    return {
        "kwh": _sum([ln["energy"]["kwh"] for ln in with_kwh]) or 0.0,
        "kg_co2e": _sum([ln["energy"]["kg_co2e"] for ln in with_kwh]) or 0.0,
        "lines_estimated": len(with_kwh),
        "lines_without_energy_data": sum(ln["energy"]["not_estimated"] == NO_DATA for ln in lines),
        "not_estimated": compute_missing,
        "factors": _merge_factors(ln["energy"]["factors"] for ln in with_kwh),
        "basis": "compute node-hours from the same usage as the dollars, at training load "
        "(cost/energy.py); other resources are not estimated",
    }
