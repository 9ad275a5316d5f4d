"""Energy and carbon next to dollars: kWh and kgCO2e for an offer running for some hours.

    power (W)  = n_acc · P_acc · u_acc  +  vCPUs · (P_min + u_host · (P_max − P_min))  +  mem_GB · P_mem
    energy     = power · hours · nodes · PUE_cloud / 1000          (kWh)
    emissions  = energy · I_region / 1000                          (kgCO2e, I in gCO2e/kWh)

Every factor is a dated, sourced record (`cost/data/energy.yaml`,
`cost/data/grid_intensity.csv`); estimates carry the factors they used. An
accelerator or region without a published figure is reported as not estimated,
never as zero.
"""

from __future__ import annotations

import csv
from dataclasses import asdict, dataclass, field
from functools import cache
from pathlib import Path
from typing import Any

import yaml

from cost.catalog import Offer

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
