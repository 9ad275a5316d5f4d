"""Energy and carbon next to dollars: kWh and kgCO2e for an offer running for some hours.

    power (W)  = n_acc · P_acc · u_acc  +  vCPUs · (P_min + u_host · (P_max − P_min))  +  mem_GB · P_mem
    energy     = power · hours · nodes · PUE_cloud / 1000          (kWh)
    emissions  = energy · I_region / 1000                          (kgCO2e, I in gCO2e/kWh)

Every factor is a dated, sourced record (`cost/data/energy.yaml`,
`cost/data/grid_intensity.csv`); estimates carry the factors they used. An
accelerator or region without a published figure is reported as not estimated,
never as zero.

The same model, three ways: `estimate` for one offer's node-hours (a priced
compute charge, a training run); `line_energy` / `energy_totals` for the lines
of a cost estimate; `offer_factors` / `offer_arrays` for the optimizer's whole
plan table (the model is linear in hours and nodes, so each offer needs only its
node kW x PUE and its region's grid intensity, cached).
"""

from __future__ import annotations

import csv
import math
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from cost.catalog import Offer
from cost.resource_groups import resource_group

DATA = Path(__file__).parent / "data"


@dataclass(frozen=True)
class Factor:
    name: str
    value: float
    unit: str
    source: str
    date: str


@dataclass
class EnergyEstimate:
    kwh: float | None
    kg_co2e: float | None
    factors: list[Factor] = field(default_factory=list)
    not_estimated: str | None = None
    """Why no figure could be given (missing power or intensity data)."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "kwh": self.kwh,
            "kg_co2e": self.kg_co2e,
            "not_estimated": self.not_estimated,
            "factors": [asdict(f) for f in self.factors],
        }


@cache
def _energy() -> dict[str, Any]:
    return yaml.safe_load((DATA / "energy.yaml").read_text())


@cache
def _intensity() -> dict[tuple[str, str], Factor]:
    with (DATA / "grid_intensity.csv").open() as f:
        return {
            (r["cloud"], r["region"]): Factor(
                f"grid intensity {r['region']} ({r['location']})",
                float(r["g_co2e_per_kwh"]),
                "gCO2e/kWh",
                r["source"],
                r["date"],
            )
            for r in csv.DictReader(f)
        }


def accelerator_power(accelerator: str) -> Factor | None:
    rec = _energy()["accelerator_power_w"].get(accelerator)
    if rec is None:
        return None
    return Factor(
        f"{accelerator} board power", float(rec["value"]), "W", rec["source"], str(rec["date"])
    )


def pue(cloud: str) -> Factor:
    rec = _energy()["pue"][cloud]
    return Factor(f"{cloud} PUE", float(rec["value"]), "ratio", rec["source"], str(rec["date"]))


def grid_intensity(cloud: str, region: str) -> Factor | None:
    return _intensity().get((cloud, region))


def node_power_w(
    offer: Offer, accelerator_utilisation: float | None = None
) -> tuple[float | None, list[Factor], str | None]:
    """Average electrical power of one node of `offer` under training load."""
    e = _energy()
    host = e["host"]
    u_acc = (
        e["accelerator_utilisation"]["value"]
        if accelerator_utilisation is None
        else accelerator_utilisation
    )
    factors = [
        Factor(
            "accelerator utilisation",
            u_acc,
            "ratio",
            e["accelerator_utilisation"]["source"],
            str(e["accelerator_utilisation"]["date"]),
        )
    ]
    if not offer.accelerator or offer.accelerator_count == 0:
        # A CPU-only type: the host model below is the whole node.
        factors, acc_w = [], 0.0
    else:
        acc = accelerator_power(offer.accelerator)
        if acc is None:
            return None, factors, f"no published board power for {offer.accelerator}"
        factors.append(acc)
        acc_w = offer.accelerator_count * acc.value * u_acc
    pmin, pmax = host["vcpu_w_min"][offer.cloud], host["vcpu_w_max"][offer.cloud]
    vcpu_w = pmin + host["host_utilisation"] * (pmax - pmin)
    factors.append(
        Factor(
            f"{offer.cloud} host power per vCPU",
            round(vcpu_w, 4),
            "W/vCPU",
            host["source"],
            str(host["date"]),
        )
    )
    factors.append(
        Factor("memory power", host["memory_w_per_gb"], "W/GB", host["source"], str(host["date"]))
    )
    watts = acc_w + offer.vcpus * vcpu_w + offer.memory_gib * host["memory_w_per_gb"]
    return watts, factors, None


def estimate(
    offer: Offer, hours: float, nodes: float = 1, accelerator_utilisation: float | None = None
) -> EnergyEstimate:
    """kWh and kgCO2e of `nodes` nodes of `offer` running `hours` hours under training load."""
    watts, factors, why = node_power_w(offer, accelerator_utilisation)
    if watts is None:
        return EnergyEstimate(None, None, factors, why)
    p = pue(offer.cloud)
    kwh = watts * hours * nodes * p.value / 1000
    factors.append(p)
    intensity = grid_intensity(offer.cloud, offer.region)
    if intensity is None:
        return EnergyEstimate(
            round(kwh, 6), None, factors, f"no grid intensity for {offer.cloud} {offer.region}"
        )
    factors.append(intensity)
    return EnergyEstimate(round(kwh, 6), round(kwh * intensity.value / 1000, 6), factors)


# --- the lines of a cost estimate ----------------------------------------------------------

NO_DATA = "no public per-resource energy data for this resource type"


def is_compute(type_: str) -> bool:
    """Node pools, VMs and clusters with inline pools: types that run machines."""
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


# --- the optimizer's plan table -----------------------------------------------------------


@cache
def offer_factors(o: Offer) -> tuple[float, float, str | None]:
    """(node kW incl. PUE, grid gCO2e/kWh, why not estimated); NaN where unknown."""
    watts, _, why = node_power_w(o)
    if watts is None:
        return math.nan, math.nan, why
    kw = watts * pue(o.cloud).value / 1000
    intensity = grid_intensity(o.cloud, o.region)
    if intensity is None:
        return kw, math.nan, f"no grid intensity for {o.cloud} {o.region}"
    return kw, intensity.value, None


def offer_arrays(offers: list[Offer]) -> tuple[Any, Any]:
    """Per offer: node kW (incl. PUE) and grid intensity (g/kWh), NaN where not estimated."""
    import numpy as np  # only the optimizer's plan table needs arrays

    f = [offer_factors(o) for o in offers]
    return (
        np.array([x[0] for x in f], dtype=float).reshape(-1),
        np.array([x[1] for x in f], dtype=float).reshape(-1),
    )
