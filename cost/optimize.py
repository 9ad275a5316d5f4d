"""The optimizer: the cheapest (or fastest) plan for a workload under deadline and budget.

Search space: catalog offers (allowed clouds, regions, accelerators, enough memory per
accelerator) x node counts 1..max_nodes (within the user's quotas) x capacity mode:

* on_demand           hours = T(N) + R; meets the deadline if hours <= D.
* spot                Eq. 2; meets the deadline if P(T <= D) >= deadline_probability.
* spot_with_fallback  spot until the deadline can absorb no more interruptions, then
                      on-demand (`cost.spot.fallback_cost`); meets it by construction.

Everything is computed as numpy arrays over all candidate rows at once, including each
plan's expected kWh and kgCO2e (`cost.energy.offer_arrays`: node power x PUE x nodes x expected
hours, spot rework included, x the region's grid intensity). The winner is the minimum
of an objective (`OBJECTIVES`: a function of the plan table that returns lexsort keys):

* cost    expected dollars (ties: fewer hours)
* time    expected hours, equal within HOURS_TIE (0.1 h) (ties: fewer dollars)
* carbon  expected kgCO2e; plans within 1% (`CARBON_TIE`) of the lowest count as tied
          and the cheaper wins (the model is not that precise, and paying 4x for 0.1 kg
          helps nobody); plans without a carbon estimate are left out, with a note,
          never counted as zero
* mix     sum over the weighted terms k of  w_k x value_k / min over candidates of value_k
          (`--weights cost=1,carbon=0.5`): each term is 1.0 at its own best plan, so a
          weight reads as "how much one relative step of this term is worth"
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from typing import Any

import numpy as np

from cost import energy
from cost.accelerators import peak_tflops
from cost.catalog import Catalog, Offer, get_catalog
from cost.objectives import MIX_TERMS, OBJECTIVE_NAMES
from cost.scaling import fabric_note, inter_node_gbps, link_gbps, step_seconds
from cost.spot import fallback_cost, offer_rate, poisson_cdf, spot_hours, trace_rate
from cost.workload import Workload, WorkloadError

MODES = ("on_demand", "spot", "spot_with_fallback")
HOURS_PER_MONTH = 730.0
# Used only when the catalog has no figure for the cloud/region (documented defaults).
DEFAULT_STORAGE_USD_GB_MONTH = {"aws": 0.023, "gcp": 0.020, "azure": 0.018}
DEFAULT_EGRESS_USD_GB = {"aws": 0.09, "gcp": 0.12, "azure": 0.087}
STORAGE_KEYS = {
    "aws": "s3_standard_gb_month",
    "gcp": "gcs_standard_gb_month",
    "azure": "blob_hot_lrs_gb_month",
}


@dataclass(frozen=True)
class Plan:
    cloud: str
    region: str
    instance_type: str
    accelerator: str
    accelerators_per_node: int
    nodes: int
    mode: str
    price_usd_per_hour: float  # the plan's instances (spot or on-demand), all nodes
    expected_hours: float
    expected_cost_usd: float
    deadline_probability: float
    efficiency: float  # eta(N) from Eq. 1
    compute_hours: float  # T(N), no interruptions
    interruptions_per_hour: float  # Lambda = nodes x lambda (0 for on-demand)
    interruption_source: str
    checkpoint_interval_hours: float | None
    storage_egress_usd: float  # part of expected_cost_usd
    price_source: str
    price_date: str
    expected_kwh: float | None = None  # nodes x expected hours at training load
    expected_kg_co2e: float | None = None
    energy_not_estimated: str | None = None
    energy_factors: tuple[energy.Factor, ...] = ()

    @property
    def accelerators(self) -> int:
        return self.accelerators_per_node * self.nodes

    def label(self) -> str:
        return (
            f"{self.cloud}/{self.region} {self.nodes}x {self.instance_type} "
            f"({self.accelerators}x{self.accelerator}) {self.mode}"
        )

    def as_dict(self) -> dict[str, Any]:
        d = asdict(self)
        d["accelerators"] = self.accelerators
        d["energy_factors"] = list(d["energy_factors"])
        return {k: (round(v, 4) if isinstance(v, float) else v) for k, v in d.items()}


@dataclass
class PlanTable:
    """Every candidate as columns (one row per offer x nodes x mode)."""

    offer_index: np.ndarray
    nodes: np.ndarray
    mode: np.ndarray  # index into MODES
    price: np.ndarray
    hours: np.ndarray
    cost: np.ndarray
    probability: np.ndarray
    efficiency: np.ndarray
    compute_hours: np.ndarray
    rate: np.ndarray
    tau: np.ndarray
    extras: np.ndarray  # storage + egress $ (included in cost)
    meets_deadline: np.ndarray
    within_budget: np.ndarray
    kwh: np.ndarray  # expected energy, NaN where not estimated
    kg_co2e: np.ndarray  # expected emissions, NaN where not estimated

    @property
    def feasible(self) -> np.ndarray:
        return self.meets_deadline & self.within_budget & np.isfinite(self.cost)


Objective = Callable[[PlanTable], tuple[np.ndarray, ...]]
# np.lexsort keys: the LAST key is the primary one.
# Expected hours that round to the same HOURS_TIE step count as equal, in the time
# objective and on the frontier alike: a plan 2 minutes faster for 6x the money is noise
# in the model, not a trade-off, and the chosen plan must be a point of the frontier.
HOURS_TIE = 0.1


def hours_key(hours: np.ndarray) -> np.ndarray:
    return np.round(np.asarray(hours, dtype=float) / HOURS_TIE)


OBJECTIVES: dict[str, Objective] = {
    "cost": lambda t: (t.hours, t.cost),
    "time": lambda t: (t.cost, hours_key(t.hours)),
    "carbon": lambda t: (t.hours, t.cost, np.where(np.isnan(t.kg_co2e), np.inf, t.kg_co2e)),
}
CARBON_TIE = 0.01


def parse_weights(text: str | None) -> dict[str, float]:
    """``"cost=1,carbon=0.5"`` -> ``{"cost": 1.0, "carbon": 0.5}`` (for ``--objective mix``)."""
    if not text or not text.strip():
        raise ValueError(f"weights: give e.g. cost=1,carbon=0.5 (terms: {', '.join(MIX_TERMS)})")
    out: dict[str, float] = {}
    for part in text.split(","):
        name, sep, value = part.partition("=")
        name = name.strip()
        if not sep or name not in MIX_TERMS:
            raise ValueError(
                f"weights: {part.strip()!r} is not TERM=NUMBER with TERM one of "
                f"{', '.join(MIX_TERMS)}"
            )
        try:
            out[name] = float(value)
        except ValueError:
            raise ValueError(f"weights: {name}={value.strip()!r} is not a number") from None
        if not np.isfinite(out[name]) or out[name] < 0:
            raise ValueError(f"weights: {name} must be a finite number >= 0, got {value.strip()}")
    if not any(out.values()):
        raise ValueError("weights: at least one weight must be > 0")
    return out


def _mix_score(t: PlanTable, pool: np.ndarray, weights: dict[str, float]) -> np.ndarray:
    """sum_k w_k x_k / min over `pool` of x_k; see the module doc."""
    columns = {"cost": t.cost, "time": t.hours, "carbon": t.kg_co2e}
    score = np.zeros(len(t.cost))
    for name, weight in weights.items():
        if weight == 0:
            continue
        x = columns[name]
        low = float(np.min(x[pool]))
        # a zero minimum (a carbon-free grid) would divide by zero: compare absolute values
        score = score + weight * (x / low if low > 0 else x)
    return np.where(np.isnan(score), np.inf, score)


@dataclass
class OptimizeResult:
    workload: str
    objective: str
    best: Plan | None
    frontier: list[Plan]
    explanation: list[str]
    binding: list[str] = field(default_factory=list)
    weights: dict[str, float] | None = None
    carbon_frontier: list[Plan] = field(default_factory=list)
    """Plans not dominated in (cost, kgCO2e), lowest carbon first."""
    carbon_excluded: int = 0
    """Feasible plans without a carbon estimate (left out of carbon and mix objectives)."""
    carbon_excluded_reasons: list[str] = field(default_factory=list)
    considered: int = 0
    feasible: int = 0
    price_dates: list[str] = field(default_factory=list)
    others: list[tuple[float, float, str]] = field(default_factory=list, repr=False)
    """(hours, cost, mode) of a sample of the other plans, for the plot only."""
    others_carbon: list[tuple[float, float, str]] = field(default_factory=list, repr=False)
    """(kgCO2e, cost, mode) of a sample of the other plans, for the plot only."""
    skipped: list[str] = field(default_factory=list)
    """Offers left out before the search (no zone offers them; suspect spot prices), and a
    cheaper plan a suspect spot price would have made, if any."""

    def as_dict(self) -> dict[str, Any]:
        return {
            "workload": self.workload,
            "objective": self.objective,
            "feasible": self.best is not None,
            "best": self.best.as_dict() if self.best else None,
            "frontier": [p.as_dict() for p in self.frontier],
            "explanation": self.explanation,
            "binding_constraints": self.binding,
            "plans_considered": self.considered,
            "plans_feasible": self.feasible,
            "price_dates": self.price_dates,
            "weights": self.weights,
            "carbon_frontier": [p.as_dict() for p in self.carbon_frontier],
            "carbon_not_estimated": {
                "plans": self.carbon_excluded,
                "reasons": self.carbon_excluded_reasons,
            },
            "energy_model": ENERGY_MODEL,
            "skipped": self.skipped,
        }


ENERGY_MODEL = (
    "kWh = (accelerators x board W x utilisation + vCPUs x host W + memory GB x W/GB)"
    " x nodes x expected hours (spot rework included) x PUE / 1000; kgCO2e = kWh x "
    "grid gCO2e/kWh / 1000 (cost/energy.py, factors in cost/data)"
)


def _service_usd(cat: Catalog, cloud: str, key: str | None, region: str, default: float) -> float:
    if key is None or not hasattr(cat, "service_price"):
        return default
    try:
        return cat.service_price(cloud, key, region).usd
    except Exception:  # noqa: BLE001 - a missing figure falls back to the documented default
        return default


def _unoffered(cat: Catalog, offers: list[Offer]) -> tuple[list[Offer], list[str]]:
    """Offers some zone of their region offers (`Catalog.zones`), and a note on the rest."""
    offered = getattr(cat, "offered", None)
    if offered is None:
        return offers, []
    kept = [o for o in offers if offered(o)]
    gone = [o for o in offers if not offered(o)]
    if not gone:
        return kept, []
    e = min(gone, key=lambda o: (o.on_demand_usd_per_hour or float("inf"), o.region))
    return kept, [
        f"placement: {len(gone)} offer(s) left out: priced in a region where no zone offers "
        f"the machine (cost/data/gcp_zones.csv), e.g. {e.instance_type} in {e.region}"
    ]


def _candidates(w: Workload, cat: Catalog) -> tuple[list[Offer], list[str]]:
    """Offers the workload may use, and why the others were dropped (for explanations)."""
    notes: list[str] = []

    def allowed(o: Offer) -> bool:
        regions = w.cloud_regions(o.cloud)
        return (
            o.cloud in w.clouds
            and bool(o.on_demand_usd_per_hour)
            and (regions is None or o.region in regions)
            and (w.accelerators is None or o.accelerator in w.accelerators)
            and peak_tflops(o.accelerator) is not None
        )

    pool, placement = _unoffered(cat, [o for o in cat.offers if allowed(o)])
    notes += placement
    if not pool:
        regions = {c: r for c, r in w.regions.items() if c in w.clouds}
        notes.append(
            f"no catalog offer matches clouds={w.clouds}, regions={regions or 'any'}, "
            f"accelerators={w.accelerators or 'any'}"
        )
        return [], notes
    need = w.memory_needed_gib
    fits = [o for o in pool if o.accelerator_memory_gib >= need]
    if not fits:
        top = max(pool, key=lambda o: o.accelerator_memory_gib)
        notes.append(
            f"memory: the model needs {need:.0f} GiB per accelerator; the largest "
            f"allowed is {top.accelerator_memory_gib:.0f} GiB ({top.accelerator})"
        )
    return fits, notes


def build_table(
    w: Workload, offers: list[Offer], cat: Catalog, allow_suspect_spot: bool = False
) -> PlanTable:
    inp = w.scaling_inputs()
    oi, nodes = [], []
    for i, o in enumerate(offers):
        quota = w.quota(o.cloud, o.accelerator)
        top = w.max_nodes if quota is None else min(w.max_nodes, quota // o.accelerator_count)
        for n in range(1, top + 1):
            oi.append(i)
            nodes.append(n)
    oi_a, n_a = np.asarray(oi, dtype=int), np.asarray(nodes, dtype=float)
    per_node = np.array([o.accelerator_count for o in offers], dtype=float)[oi_a]
    peak = np.array([peak_tflops(o.accelerator) for o in offers], dtype=float)[oi_a]
    bus = np.array(
        [
            [
                link_gbps(o.accelerator, o.instance_type, 1),
                link_gbps(o.accelerator, o.instance_type, 2),
            ]
            for o in offers
        ]
    )
    bus_row = np.where(n_a <= 1, bus[oi_a, 0], bus[oi_a, 1]) if len(oi_a) else np.zeros(0)
    step, eta = step_seconds(inp, peak, per_node * n_a, bus_row)
    work = step * inp.steps / 3600
    premium = np.ones(len(offers))
    if w.managed_service and hasattr(cat, "managed_premium"):
        premium = np.array([_premium(cat, o) for o in offers])
    od = np.array([o.on_demand_usd_per_hour for o in offers], dtype=float) * premium
    sp = np.array([_real_spot_price(o, allow_suspect_spot) for o in offers]) * premium
    lam = np.array([_rate(w, o)[0] for o in offers])
    region_fees = {}
    for o in offers:
        key = (o.cloud, o.region)
        if key not in region_fees:
            st = _service_usd(
                cat,
                o.cloud,
                STORAGE_KEYS.get(o.cloud),
                o.region,
                DEFAULT_STORAGE_USD_GB_MONTH[o.cloud],
            )
            eg = _service_usd(
                cat, o.cloud, "egress_internet_gb", o.region, DEFAULT_EGRESS_USD_GB[o.cloud]
            )
            region_fees[key] = (st, eg)
    fees = np.array([region_fees[(o.cloud, o.region)] for o in offers]).reshape(-1, 2)
    storage_h = fees[oi_a, 0] * w.stored_gib / HOURS_PER_MONTH  # $ per wall hour

    def storage_usd(hours: np.ndarray) -> np.ndarray:
        # Nothing stored costs nothing, even over an infinite (infeasible) time: 0 x inf
        # would be NaN and a numpy warning in the user's output.
        return np.multiply(storage_h, hours, out=np.zeros_like(hours), where=storage_h > 0)

    egress = fees[oi_a, 1] * w.egress_gib

    R, D, delta = w.restart_hours, w.deadline_hours, w.checkpoint_hours
    od_p, sp_p, rate = od[oi_a] * n_a, sp[oi_a] * n_a, lam[oi_a] * n_a

    # on-demand
    h_od = work + R
    c_od = od_p * h_od + storage_usd(h_od) + egress
    # spot (Eq. 2): the first start's R is added to the no-loss time T0
    t0, loss, e_t, tau = spot_hours(work, rate, R, delta)
    h_sp = e_t + R
    c_sp = sp_p * h_sp + storage_usd(h_sp) + egress
    p_sp = poisson_cdf(np.floor((D - R - t0) / loss), rate * t0)
    # spot with on-demand fallback
    c_fb, h_fb, m_fb = fallback_cost(work, rate, R, delta, D - R, sp_p, od_p)
    h_fb = h_fb + R
    c_fb = c_fb + sp_p * R + storage_usd(h_fb) + egress
    has_spot = np.isfinite(sp_p)

    k = len(oi_a)
    fb_ok = has_spot & (m_fb >= 0)
    cost = np.concatenate([c_od, np.where(has_spot, c_sp, np.inf), np.where(fb_ok, c_fb, np.inf)])
    budget = w.budget_usd if w.budget_usd is not None else np.inf
    node_kw, intensity = energy.offer_arrays(offers)
    hours_all = np.concatenate([h_od, h_sp, h_fb])
    kwh = np.tile(node_kw[oi_a] * n_a, 3) * hours_all
    table = PlanTable(
        offer_index=np.tile(oi_a, 3),
        nodes=np.tile(n_a.astype(int), 3),
        mode=np.repeat(np.arange(3), k),
        price=np.concatenate([od_p, sp_p, sp_p]),
        hours=hours_all,
        cost=cost,
        probability=np.concatenate(
            [(h_od <= D).astype(float), np.where(has_spot, p_sp, 0.0), fb_ok.astype(float)]
        ),
        efficiency=np.tile(eta, 3),
        compute_hours=np.tile(work, 3),
        rate=np.concatenate([np.zeros(k), rate, rate]),
        tau=np.concatenate([np.full(k, np.nan), tau, tau]),
        extras=np.concatenate([storage_usd(h) for h in (h_od, h_sp, h_fb)]) + np.tile(egress, 3),
        meets_deadline=np.concatenate(
            [h_od <= D, has_spot & (p_sp >= w.deadline_probability), fb_ok]
        ),
        within_budget=cost <= budget,
        kwh=kwh,
        kg_co2e=kwh * np.tile(intensity[oi_a], 3) / 1000,
    )
    return table


def _real_spot_price(o: Offer, allow_suspect: bool = False) -> float:
    """The spot price, or NaN where there is none, it is not below on-demand (some catalog
    rows repeat the on-demand price as 'spot') or it is suspect (`Offer.spot_suspect`) and
    not explicitly admitted."""
    sp, od = o.spot_usd_per_hour, o.on_demand_usd_per_hour
    if o.spot_suspect and not allow_suspect:
        return np.nan
    return sp if sp is not None and od is not None and sp < od else np.nan


def _rate(w: Workload, o: Offer) -> tuple[float, str]:
    if w.interruption_rate_per_hour is not None:
        return w.interruption_rate_per_hour, "workload interruption_rate_per_hour"
    if w.interruption_trace:
        rate, name = _trace_rate(w.interruption_trace)
        return rate, f"trace {name}"
    return offer_rate(o)


@cache
def _trace_rate(ref: str) -> tuple[float, str]:
    from cost.simulate import TraceError, load_trace  # the simulator is only needed here

    try:
        t = load_trace(ref)
    except TraceError as e:
        raise WorkloadError([f"interruption_trace: {e}"]) from None
    return trace_rate(t.available, t.gap_seconds), t.name


def _premium(cat: Catalog, o: Offer) -> float:
    try:
        return float(cat.managed_premium(o.cloud, o.instance_type).ratio)
    except Exception:  # noqa: BLE001 - no figure: no premium, stated in the README
        return 1.0


def _plan(t: PlanTable, i: int, offers: list[Offer], w: Workload) -> Plan:
    o = offers[t.offer_index[i]]
    mode = MODES[t.mode[i]]
    src = _rate(w, o)[1] if mode != "on_demand" else "none (on-demand)"
    tau = float(t.tau[i])
    kwh, kg = float(t.kwh[i]), float(t.kg_co2e[i])
    # The factors (and any reason) from the scalar model, for the report.
    est = energy.estimate(o, float(t.hours[i]), int(t.nodes[i]))
    return Plan(
        cloud=o.cloud,
        region=o.region,
        instance_type=o.instance_type,
        accelerator=o.accelerator,
        accelerators_per_node=o.accelerator_count,
        nodes=int(t.nodes[i]),
        mode=mode,
        price_usd_per_hour=float(t.price[i]),
        expected_hours=float(t.hours[i]),
        expected_cost_usd=float(t.cost[i]),
        deadline_probability=float(t.probability[i]),
        efficiency=float(t.efficiency[i]),
        compute_hours=float(t.compute_hours[i]),
        interruptions_per_hour=float(t.rate[i]),
        interruption_source=src,
        checkpoint_interval_hours=None if not np.isfinite(tau) else tau,
        storage_egress_usd=float(t.extras[i]),
        price_source=o.source,
        price_date=o.date,
        expected_kwh=kwh if np.isfinite(kwh) else None,
        expected_kg_co2e=kg if np.isfinite(kg) else None,
        energy_not_estimated=est.not_estimated,
        energy_factors=tuple(est.factors),
    )


def pareto_front(cost: np.ndarray, hours: np.ndarray, idx: np.ndarray) -> np.ndarray:
    """Rows of `idx` not dominated in (cost, hours), sorted by hours ascending."""
    if not len(idx):
        return idx
    h = hours_key(hours[idx])  # the time objective's tie tolerance
    order = idx[np.lexsort((cost[idx], h))]
    keep, best = [], np.inf
    for i in order:
        if cost[i] < best - 1e-9:
            keep.append(i)
            best = cost[i]
    return np.asarray(keep, dtype=int)


def _thin(rows: np.ndarray, size: int) -> np.ndarray:
    """Keep both ends of a frontier and an even spread between."""
    if len(rows) <= size:
        return rows
    return rows[np.unique(np.linspace(0, len(rows) - 1, size).round().astype(int))]


def _pick(keys: tuple[np.ndarray, ...], pool: np.ndarray) -> int:
    return int(pool[np.lexsort(tuple(k[pool] for k in keys))[0]])


def optimize(
    w: Workload,
    objective: str = "cost",
    catalog: Catalog | None = None,
    frontier_size: int = 12,
    weights: dict[str, float] | None = None,
    allow_suspect_spot: bool = False,
) -> OptimizeResult:
    """The best plan for `objective` (see the module doc); `weights` only for "mix".

    Spot prices flagged suspect (`Offer.spot_suspect`) are not used unless
    `allow_suspect_spot`; the result says when one would have made a cheaper plan."""
    if objective not in OBJECTIVE_NAMES:
        raise ValueError(f"objective: {objective!r} is not one of {', '.join(OBJECTIVE_NAMES)}")
    if objective == "mix" and not weights:
        raise ValueError("weights: objective mix needs weights, e.g. cost=1,carbon=0.5")
    if objective != "mix" and weights:
        raise ValueError(f"weights: only used with objective mix, not {objective}")
    cat = catalog or get_catalog()
    _check_regions(w, cat)
    offers, notes = _candidates(w, cat)
    result = OptimizeResult(
        w.name,
        objective,
        None,
        [],
        [],
        weights=weights,
        price_dates=sorted({o.date for o in offers}),
    )
    suspect = [o for o in offers if o.spot_suspect]
    result.skipped = [n for n in notes if n.startswith("placement:")]
    if suspect and not allow_suspect_spot:
        result.skipped.append(
            f"suspect spot prices: the spot price of {len(suspect)} offer(s) not used "
            f"(below a plausible fraction of on-demand, e.g. {suspect[0].instance_type} in "
            f"{suspect[0].region}; --allow-suspect-spot admits them)"
        )
    notes = [n for n in notes if not n.startswith("placement:")]
    if not offers:
        result.binding = notes
        result.explanation = ["infeasible: " + n for n in notes]
        return result
    t = build_table(w, offers, cat, allow_suspect_spot)
    result.considered = len(t.cost)
    if not len(t.cost):
        result.binding = [f"quotas: {w.quotas} leave no node count for any allowed offer"]
        result.explanation = ["infeasible: " + result.binding[0]]
        return result
    feas = np.flatnonzero(t.feasible)
    result.feasible = len(feas)
    finite = np.flatnonzero(np.isfinite(t.cost))
    pool = feas if len(feas) else finite
    result.frontier = [
        _plan(t, i, offers, w) for i in _thin(pareto_front(t.cost, t.hours, pool), frontier_size)
    ]
    sample = pool[:: max(1, len(pool) // 1500)]
    result.others = [(float(t.hours[i]), float(t.cost[i]), MODES[t.mode[i]]) for i in sample]
    green = pool[np.isfinite(t.kg_co2e[pool])]
    result.carbon_frontier = [
        _plan(t, i, offers, w) for i in _thin(pareto_front(t.cost, t.kg_co2e, green), frontier_size)
    ]
    result.others_carbon = [
        (float(t.kg_co2e[i]), float(t.cost[i]), MODES[t.mode[i]])
        for i in green[:: max(1, len(green) // 1500)]
    ]
    if not len(feas):
        result.binding = _binding(w, t, offers)
        result.explanation = ["infeasible: " + b for b in result.binding]
        return result
    uses_carbon = objective == "carbon" or bool(weights and weights.get("carbon"))
    candidates = feas
    if uses_carbon:
        candidates = feas[np.isfinite(t.kg_co2e[feas])]
        result.carbon_excluded = len(feas) - len(candidates)
        result.carbon_excluded_reasons = sorted(
            {
                r
                for o in {offers[j] for j in t.offer_index[feas[~np.isfinite(t.kg_co2e[feas])]]}
                if (r := energy.offer_factors(o)[2])
            }
        )
        if not len(candidates):
            result.binding = [
                "carbon: no feasible plan has a carbon estimate ("
                + "; ".join(result.carbon_excluded_reasons)
                + ")"
            ]
            result.explanation = ["infeasible: " + result.binding[0]]
            return result
    if objective == "mix":
        assert weights is not None
        keys: tuple[np.ndarray, ...] = (t.hours, t.cost, _mix_score(t, candidates, weights))
    elif objective == "carbon":
        low = float(np.min(t.kg_co2e[candidates]))
        co2 = np.where(np.isnan(t.kg_co2e), np.inf, t.kg_co2e)
        keys = (t.hours, t.cost, np.where(co2 <= low * (1 + CARBON_TIE), low, co2))
    else:
        keys = OBJECTIVES[objective](t)
    best_i = _pick(keys, candidates)
    result.best = _plan(t, best_i, offers, w)
    result.explanation = _explain(w, t, offers, best_i, feas)
    cheaper = (
        _cheaper_on_suspect_spot(w, suspect, cat, result.best)
        if suspect and not allow_suspect_spot and objective == "cost"
        else None
    )
    if cheaper:
        result.skipped.append(cheaper)
        result.explanation.append(cheaper)
    if zones := _zones_line(cat, result.best):
        result.explanation.append(zones)
    if objective != "cost":
        result.explanation += _versus_cost_optimal(w, t, offers, best_i, feas)
    if result.carbon_excluded:
        result.explanation.append(
            f"{result.carbon_excluded} feasible plan(s) left out of the {objective} objective: "
            f"carbon not estimated ({'; '.join(result.carbon_excluded_reasons)}); not counted "
            "as zero"
        )
    return result


def _cheaper_on_suspect_spot(
    w: Workload, suspect: list[Offer], cat: Catalog, best: Plan
) -> str | None:
    """The cheapest feasible plan that rests on a suspect spot price, when it beats `best`."""
    t = build_table(w, suspect, cat, allow_suspect_spot=True)
    rows = np.flatnonzero(t.feasible & (t.mode != 0))
    if not len(rows):
        return None
    i = int(rows[np.argmin(t.cost[rows])])
    if t.cost[i] >= best.expected_cost_usd:
        return None
    p, o = _plan(t, i, suspect, w), suspect[t.offer_index[i]]
    od, sp = o.on_demand_usd_per_hour or 0.0, o.spot_usd_per_hour or 0.0
    return (
        f"skipped a cheaper plan on a suspect spot price: {p.label()} for "
        f"${p.expected_cost_usd:,.0f} (spot ${sp:,.2f}/h is {sp / od:.0%} of on-demand "
        f"${od:,.2f}/h; {o.source}, {o.date}); --allow-suspect-spot admits it"
    )


def _zones_line(cat: Catalog, p: Plan) -> str | None:
    zones = cat.zones(p.cloud, p.region, p.instance_type) if hasattr(cat, "zones") else None
    if not zones:
        return None
    return f"placement: {p.instance_type} is offered in {', '.join(zones)}"


def _versus_cost_optimal(
    w: Workload, t: PlanTable, offers: list[Offer], best: int, feas: np.ndarray
) -> list[str]:
    """What the chosen plan costs in dollars, time and carbon against the cheapest plan."""
    cheapest = _pick(OBJECTIVES["cost"](t), feas)
    p, q = _plan(t, best, offers, w), _plan(t, cheapest, offers, w)
    if cheapest == best:
        return ["the cost-optimal plan is also this objective's best: no extra cost"]
    dc = p.expected_cost_usd - q.expected_cost_usd
    dh = p.expected_hours - q.expected_hours
    where = (
        f"moves from {q.cloud}/{q.region} to {p.cloud}/{p.region}"
        if (p.cloud, p.region) != (q.cloud, q.region)
        else f"stays in {p.cloud}/{p.region}"
    )
    line = (
        f"vs the cost-optimal plan ({q.label()}, ${q.expected_cost_usd:,.0f}, "
        f"{q.expected_hours:.1f} h): {dc:+,.0f} USD ({dc / q.expected_cost_usd:+.0%}), "
        f"{dh:+.1f} h"
    )
    if p.expected_kg_co2e is not None and q.expected_kg_co2e is not None:
        dk = p.expected_kg_co2e - q.expected_kg_co2e
        pct = f" ({dk / q.expected_kg_co2e:+.0%})" if q.expected_kg_co2e else ""
        line += f", {dk:+,.1f} kgCO2e{pct}"
    else:
        line += f", carbon of the cost-optimal plan not estimated ({q.energy_not_estimated})"
    return [line + f"; {where}"]


def _check_regions(w: Workload, cat: Catalog) -> None:
    errors = []
    for cloud, regions in w.regions.items():
        known = cat.regions(cloud)
        bad = [r for r in regions if r not in known]
        if bad:
            errors.append(
                f"regions.{cloud}: {', '.join(bad)} not in the catalog; known: {', '.join(known)}"
            )
    if errors:
        raise WorkloadError(errors)


def _binding(w: Workload, t: PlanTable, offers: list[Offer]) -> list[str]:
    out = []
    finite = np.flatnonzero(np.isfinite(t.cost))
    if not t.meets_deadline.any():
        fastest = finite[np.argmin(t.hours[finite])]
        p = _plan(t, fastest, offers, w)
        out.append(
            f"deadline: the fastest plan ({p.label()}) needs {p.expected_hours:.1f} h > "
            f"deadline {w.deadline_hours:g} h (max_nodes={w.max_nodes}"
            + (f", quotas={w.quotas}" if w.quotas else "")
            + ")"
        )
    else:
        ok = np.flatnonzero(t.meets_deadline & np.isfinite(t.cost))
        cheapest = ok[np.argmin(t.cost[ok])]
        p = _plan(t, cheapest, offers, w)
        out.append(
            f"budget: the cheapest plan that meets the deadline ({p.label()}) costs "
            f"${p.expected_cost_usd:,.0f} > budget ${w.budget_usd:,.0f}"
        )
    return out


def _explain(
    w: Workload, t: PlanTable, offers: list[Offer], best: int, feas: np.ndarray
) -> list[str]:
    p = _plan(t, best, offers, w)
    lines = [
        f"{p.label()}: ${p.expected_cost_usd:,.0f} expected over {p.expected_hours:.1f} h "
        f"(deadline {w.deadline_hours:g} h"
        + (f", budget ${w.budget_usd:,.0f}" if w.budget_usd else "")
        + ")",
        f"price: ${p.price_usd_per_hour:,.2f}/h for {p.nodes} node(s) "
        f"({p.price_source}, {p.price_date})",
        f"efficiency: eta({p.accelerators}) = {p.efficiency:.2f}; compute {p.compute_hours:.1f} h "
        f"at {w.model.mfu:.0%} MFU",
    ]
    lines.append(
        f"storage and egress: ${p.storage_egress_usd:,.2f} of the total "
        f"({w.stored_gib:g} GiB kept, {w.egress_gib:g} GiB out)"
    )
    lines.append(_energy_line(p))
    chosen = next(
        (
            o
            for o in offers
            if (o.cloud, o.region, o.instance_type) == (p.cloud, p.region, p.instance_type)
        ),
        None,
    )
    if p.mode != "on_demand" and chosen is not None and chosen.spot_warning():
        lines.append(str(chosen.spot_warning()))
    if p.nodes > 1 and (note := fabric_note(p.instance_type)):
        lines.append(f"interconnect: {inter_node_gbps(p.instance_type):g} GB/s per node; {note}")
    if p.mode != "on_demand":
        lines.append(
            f"interruption risk: {p.interruptions_per_hour:.4f}/h for the job "
            f"({p.interruption_source}); checkpoint every "
            f"{(p.checkpoint_interval_hours or 0) * 60:.0f} min (Young); "
            f"P(done by deadline) = {p.deadline_probability:.3f}"
        )
    od = feas[t.mode[feas] == 0]
    if p.mode != "on_demand" and len(od):
        c = od[np.argmin(t.cost[od])]
        q = _plan(t, c, offers, w)
        lines.append(
            f"vs on-demand: the cheapest feasible on-demand plan ({q.label()}) costs "
            f"${q.expected_cost_usd:,.0f}; this plan saves "
            f"{1 - p.expected_cost_usd / q.expected_cost_usd:.0%}"
        )
    fastest = feas[np.argmin(t.hours[feas])]
    if fastest != best:
        q = _plan(t, fastest, offers, w)
        lines.append(
            f"fastest feasible: {q.label()} in {q.expected_hours:.1f} h for "
            f"${q.expected_cost_usd:,.0f}"
        )
    return lines


def _energy_line(p: Plan) -> str:
    if p.expected_kwh is None:
        return f"energy: not estimated ({p.energy_not_estimated})"
    by_name = {f.name.split(" (")[0]: f for f in p.energy_factors}
    grid = by_name.get(f"grid intensity {p.region}")
    pue = by_name.get(f"{p.cloud} PUE")
    carbon = (
        f"{p.expected_kg_co2e:,.1f} kgCO2e (grid {grid.value:g} gCO2e/kWh in {p.region})"
        if p.expected_kg_co2e is not None and grid
        else f"carbon not estimated ({p.energy_not_estimated})"
    )
    return (
        f"energy: {p.expected_kwh:,.0f} kWh over {p.expected_hours:.1f} h x {p.nodes} "
        f"node(s) (PUE {pue.value if pue else '?'}), {carbon}"
    )
