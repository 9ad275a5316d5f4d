"""Energy and carbon of optimizer plans, as arrays over the whole plan table.

`cost.energy.estimate` is linear in hours and nodes, so the only per-offer work is
the node's power x PUE and the region's grid intensity; both are cached per offer
and the plan table multiplies them by its nodes and expected hours:

    kWh    = node_kw(offer) x nodes x expected_hours      (node_kw = W x PUE / 1000)
    kgCO2e = kWh x intensity(region) / 1000

Offers without published power or a region without intensity give NaN (and a reason),
never zero, so a carbon objective can leave them out.
"""

from __future__ import annotations

from functools import cache

import numpy as np

from cost import energy
from cost.catalog import Offer


@cache
def offer_factors(o: Offer) -> tuple[float, float, str | None]:
    """(node kW incl. PUE, grid gCO2e/kWh, why not estimated); NaN where unknown."""
    watts, _, why = energy.node_power_w(o)
    if watts is None:
        return np.nan, np.nan, why
    kw = watts * energy.pue(o.cloud).value / 1000
    intensity = energy.grid_intensity(o.cloud, o.region)
    if intensity is None:
        return kw, np.nan, f"no grid intensity for {o.cloud} {o.region}"
    return kw, intensity.value, None


def offer_arrays(offers: list[Offer]) -> tuple[np.ndarray, np.ndarray]:
    """Per offer: node kW (incl. PUE) and grid intensity (g/kWh), NaN where not estimated."""
    f = [offer_factors(o) for o in offers]
    return (
        np.array([x[0] for x in f], dtype=float).reshape(-1),
        np.array([x[1] for x in f], dtype=float).reshape(-1),
    )
