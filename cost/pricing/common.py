"""What every cloud's pricing rules share: the rule registry, charges, the context, helpers.

A rule reads the resource's inputs (camelCase, as in ``pulumi preview --json``),
the usage assumptions and the catalog, and returns the charges (quantity x unit
price, each with its source and date), or says it is free, or raises
`NotPriced` with the reason. Types without a rule are "not priced", never zero.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from cost.catalog import Catalog, CatalogError, Offer, ServicePrice
from cost.energy import EnergyEstimate
from cost.energy import estimate as estimate_energy
from cost.usage import Usage
from plan_document import PlannedResource


class NotPriced(Exception):
    """The resource cannot be priced; the message is the reason shown to the user."""


@dataclass
class Charge:
    """One priced part of a resource (Infracost's "cost component")."""

    name: str
    quantity: float
    unit: str
    unit_usd: float
    monthly_usd: float
    source: str
    date: str
    hourly_usd: float | None = None
    """The rate while running (for time-based parts), else None."""
    usage_based: bool = False
    """True when the quantity comes from the usage file or its defaults."""
    energy: EnergyEstimate | None = None
    """kWh and kgCO2e of the node-hours priced (compute charges only)."""

    def as_dict(self) -> dict[str, Any]:
        d = {
            "name": self.name,
            "quantity": round(self.quantity, 6),
            "unit": self.unit,
            "unit_usd": self.unit_usd,
            "hourly_usd": _r(self.hourly_usd),
            "monthly_usd": _r(self.monthly_usd),
            "usage_based": self.usage_based,
            "price_source": self.source,
            "price_date": self.date,
        }
        if self.energy is not None:
            d["energy"] = self.energy.as_dict()
        return d


def _r(v: float | None) -> float | None:
    return None if v is None else round(v, 4)


@dataclass
class Priced:
    charges: list[Charge] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    unpriced_parts: list[str] = field(default_factory=list)
    """Parts of the resource that cost money but could not be priced (listed, not zeroed)."""


@dataclass
class Free:
    reason: str


@dataclass
class Context:
    catalog: Catalog
    usage: Usage
    cloud: str | None
    by_id: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)
    """Inputs of the plan's resources by their id (e.g. a node group's launch template)."""
    region: str | None = None
    """The region of the resource being priced (its own input, else its provider's)."""

    @property
    def hours(self) -> float:
        return self.usage.hours_per_month

    def price(self, cloud: str, key: str, region: str | None = None) -> ServicePrice:
        try:
            return self.catalog.service_price(cloud, key, region)
        except CatalogError as e:
            raise NotPriced(str(e)) from None


Rule = Callable[[PlannedResource, Context], "Priced | Free"]
RULES: dict[str, Rule] = {}


def rule(*types: str) -> Callable[[Rule], Rule]:
    def register(fn: Rule) -> Rule:
        for t in types:
            RULES[t] = fn
        return fn

    return register


# Types that cost nothing themselves (configuration, identity, networking objects),
# matched by prefix, with the reason shown on the line.
# Types that cost nothing themselves on any cloud, matched by prefix, with the reason shown.
COMMON_FREE_PREFIXES: tuple[tuple[str, str], ...] = (
    ("pulumi:providers:", "provider configuration"),
    ("kubernetes:", "Kubernetes object: runs on the priced nodes"),
    ("random:", "generated value"),
    ("tls:", "generated key material"),
    ("docker-build:", "an image build: its layers are priced as the registry's storage"),
)


# --- helpers -------------------------------------------------------------------------------


def dig(d: Mapping[str, Any] | None, *path: str, default: Any = None) -> Any:
    cur: Any = d
    for p in path:
        if not isinstance(cur, Mapping) or p not in cur:
            return default
        cur = cur[p]
    return cur


def as_int(v: Any) -> int | None:
    try:
        return int(float(v))
    except (TypeError, ValueError):
        return None


def need_region(ctx: Context) -> str:
    if not ctx.region:
        raise NotPriced(
            "region unknown: the resource has no region/location input and the plan "
            "has no provider with one"
        )
    return ctx.region


def usage_charge(
    ctx: Context,
    res: PlannedResource,
    cloud: str,
    price_key: str,
    usage_key: str,
    label: str,
    *,
    region: str | None = None,
    scale: float = 1.0,
) -> Charge:
    """quantity (from usage, in the price's unit after `scale`) x unit price."""
    p = ctx.price(cloud, price_key, region)
    qty, _ = ctx.usage.value(res.name, usage_key)
    qty = qty * scale
    return Charge(label, qty, p.unit, p.usd, qty * p.usd, p.source, p.date, usage_based=True)


def hourly_charge(
    ctx: Context, cloud: str, key: str, label: str, region: str | None = None, count: float = 1.0
) -> Charge:
    p = ctx.price(cloud, key, region)
    hours = ctx.hours
    return Charge(
        label,
        hours * count,
        "hours" if count == 1 else f"hours x {count:g}",
        p.usd,
        p.usd * hours * count,
        p.source,
        p.date,
        hourly_usd=p.usd * count,
    )


def catalog_offer(ctx: Context, cloud: str, region: str, instance_type: str) -> Offer:
    try:
        return ctx.catalog.offer(cloud, region, instance_type)
    except CatalogError as e:
        raise NotPriced(str(e)) from None


def node_charges(
    ctx: Context,
    res: PlannedResource,
    out: Priced,
    *,
    cloud: str,
    region: str,
    instance_type: str,
    spot: bool,
    default_nodes: float,
    label: str = "compute",
    usage_name: str | None = None,
) -> float:
    """nodes x hours x price of the instance type; returns the hours priced (for disks)."""
    offer = catalog_offer(ctx, cloud, region, instance_type)
    entry = ctx.usage.for_resource(usage_name or res.name)
    nodes = entry.get("nodes", default_nodes)
    hours = entry.get("hours", ctx.hours)
    price = offer.price(spot)
    capacity = "spot" if spot else "on-demand"
    if price is None:
        if not spot or offer.on_demand_usd_per_hour is None:
            raise NotPriced(f"catalog has no {capacity} price for {instance_type} in {region}")
        price = offer.on_demand_usd_per_hour
        capacity = "spot, priced at on-demand"
        out.notes.append(
            f"catalog has no spot price for {instance_type} in {region}; "
            "priced at on-demand (an upper bound)"
        )
    if entry:
        out.notes.append(f"usage file: {nodes:g} node(s) x {hours:g} h")
    if nodes == 0:
        out.notes.append(
            "scaled to zero: costs nothing idle; set `nodes` and `hours` for this "
            "pool in the usage file to price its use"
        )
    elif "nodes" not in entry:
        out.notes.append(f"{nodes:g} node(s) from the plan's desired size")
    out.charges.append(
        Charge(
            f"{label} ({instance_type}, {capacity})",
            nodes * hours,
            "node-hours",
            price,
            nodes * hours * price,
            offer.source,
            offer.date,
            hourly_usd=nodes * price,
            usage_based=bool(entry),
            # the same node-hours the dollars use, at training load (cost.energy)
            energy=estimate_energy(offer, hours, nodes),
        )
    )
    return hours


def disk_charge(
    ctx: Context,
    out: Priced,
    *,
    cloud: str,
    key: str,
    region: str,
    gb: float,
    nodes: float,
    hours: float,
) -> None:
    if gb <= 0 or nodes <= 0:
        return
    try:
        p = ctx.catalog.service_price(cloud, key, region)
    except CatalogError as e:
        out.unpriced_parts.append(f"node disks: {e}")
        return
    gb_months = gb * nodes * hours / ctx.catalog.hours_per_month
    out.charges.append(
        Charge(
            f"node disks ({gb:g} GB x {nodes:g})",
            gb_months,
            p.unit,
            p.usd,
            gb_months * p.usd,
            p.source,
            p.date,
        )
    )


def nodes_for_usage(ctx: Context, name: str, default: float) -> float:
    entry = ctx.usage.for_resource(name)
    return entry.get("nodes", default)


def hours_for_usage(ctx: Context, name: str) -> float:
    return ctx.usage.for_resource(name).get("hours", ctx.hours)
