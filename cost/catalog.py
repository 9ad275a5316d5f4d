"""The dated, sourced price catalog: GPU/TPU offers per cloud and region.

This is the one place that maps a cloud-neutral accelerator (``H100``) to the
instance or machine types that carry it (``p5.48xlarge``, ``a3-highgpu-8g``,
``Standard_ND96isr_H100_v5``). Every offer carries the source and date of its
prices; nothing here reads the network.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from functools import cache
from pathlib import Path
from typing import Any

import yaml

DATA_DIR = Path(__file__).parent / "data"
OFFERS_CSV = DATA_DIR / "offers.csv"
# Columns of offers.csv, in order (written by build_snapshot and refresh, read here).
OFFER_FIELDS = (
    "cloud",
    "region",
    "instance_type",
    "accelerator",
    "accelerator_count",
    "accelerator_memory_gib",
    "vcpus",
    "memory_gib",
    "on_demand_usd_per_hour",
    "spot_usd_per_hour",
    "source",
    "date",
)
CPU_OFFERS_CSV = DATA_DIR / "cpu_offers.csv"
SPOT_ADVISOR_CSV = DATA_DIR / "spot_advisor.csv"
PRICES_YAML = DATA_DIR / "prices.yaml"
SAGEMAKER_CSV = DATA_DIR / "sagemaker_premium.csv"
GCP_ZONES_CSV = DATA_DIR / "gcp_zones.csv"
"""Which zones offer each GCP GPU machine type: a price in a region is not an offer there."""

# AWS Spot Advisor buckets: frequency of interruption per month (its `ranges` table).
INTERRUPTION_RANGES: dict[int, str] = {0: "<5%", 1: "5-10%", 2: "10-15%", 3: "15-20%", 4: ">20%"}


# The CPU type a pool with neither accelerator nor instance_type gets, on each cloud: 4 vCPU /
# 16 GiB, room for system pods and add-ons. The cloud modules, the estimate and preflight read it.
DEFAULT_CPU_INSTANCE_TYPES = {
    "aws": "m6i.xlarge",
    "gcp": "e2-standard-4",
    "azure": "Standard_D4s_v5",
}


class CatalogError(LookupError):
    """A lookup the catalog cannot answer; the message says what it does have."""


# Spot below this fraction of on-demand is flagged, not trusted. AWS and Azure publish spot
# discounts of up to 90% (and the snapshot has real ~89%-off rows for old V100/T4 types);
# GCP GPU machines run 40-60% off where the source prices the GPU part, and 89-91% off
# (the machine's vCPU/RAM discount alone) in the regions where the source lacks it, e.g.
# a3-highgpu-8g $9.07 spot in northamerica-northeast1 vs $50.61 in us-central1.
SUSPECT_SPOT_FRACTION = {"aws": 0.10, "azure": 0.10, "gcp": 0.15}


@dataclass(frozen=True)
class Offer:
    cloud: str
    region: str
    instance_type: str
    accelerator: str
    accelerator_count: int
    accelerator_memory_gib: float
    vcpus: float
    memory_gib: float
    on_demand_usd_per_hour: float | None
    spot_usd_per_hour: float | None
    source: str
    date: str
    interruption_bucket: int | None = None
    """AWS Spot Advisor bucket 0..4 (see `INTERRUPTION_RANGES`); None where not published."""

    def price(self, spot: bool) -> float | None:
        return self.spot_usd_per_hour if spot else self.on_demand_usd_per_hour

    @property
    def spot_suspect(self) -> bool:
        """A spot price too far below on-demand to be real (see `SUSPECT_SPOT_FRACTION`)."""
        od, spot = self.on_demand_usd_per_hour, self.spot_usd_per_hour
        return bool(od and spot is not None and spot < SUSPECT_SPOT_FRACTION[self.cloud] * od)

    def spot_warning(self) -> str | None:
        if not self.spot_suspect:
            return None
        od, spot = self.on_demand_usd_per_hour or 0.0, self.spot_usd_per_hour or 0.0
        return (
            f"suspect spot price: {self.instance_type} in {self.region} spot ${spot:,.2f}/h is "
            f"{spot / od:.0%} of on-demand ${od:,.2f}/h, below the plausible "
            f"{SUSPECT_SPOT_FRACTION[self.cloud]:.0%} for {self.cloud} (the source row matches "
            "its source, which likely lacks the GPU part); check before relying on it"
        )

    @property
    def interruption_range(self) -> str | None:
        b = self.interruption_bucket
        return INTERRUPTION_RANGES[b] if b is not None else None


@dataclass(frozen=True)
class ServicePrice:
    """One non-instance price (control plane, storage, network, ...) with its provenance."""

    cloud: str
    key: str
    usd: float
    unit: str
    source: str
    date: str
    region: str | None = None
    """The region the figure is for; None when the price is the same everywhere."""


@dataclass(frozen=True)
class ManagedPremium:
    """Managed training service price over the plain VM price (1.0 = no premium)."""

    service: str
    ratio: float
    source: str
    date: str
    basis: str
    """What the ratio was measured on (the instance type, or how it was chosen)."""


def _float(v: str) -> float | None:
    return float(v) if v not in ("", None) else None


def _read_offers(path: Path) -> tuple[Offer, ...]:
    with path.open() as f:
        return tuple(
            Offer(
                cloud=r["cloud"],
                region=r["region"],
                instance_type=r["instance_type"],
                accelerator=r["accelerator"],
                accelerator_count=int(r["accelerator_count"]),
                accelerator_memory_gib=float(r["accelerator_memory_gib"] or 0),
                vcpus=float(r["vcpus"] or 0),
                memory_gib=float(r["memory_gib"] or 0),
                on_demand_usd_per_hour=_float(r["on_demand_usd_per_hour"]),
                spot_usd_per_hour=_float(r["spot_usd_per_hour"]),
                source=r["source"],
                date=r["date"],
            )
            for r in csv.DictReader(f)
        )


def _read_cpu_offers(path: Path) -> tuple[Offer, ...]:
    if not path.exists():
        return ()
    with path.open() as f:
        return tuple(
            Offer(
                cloud=r["cloud"],
                region=r["region"],
                instance_type=r["instance_type"],
                accelerator="",
                accelerator_count=0,
                accelerator_memory_gib=0.0,
                vcpus=float(r["vcpus"] or 0),
                memory_gib=float(r["memory_gib"] or 0),
                on_demand_usd_per_hour=_float(r["on_demand_usd_per_hour"]),
                spot_usd_per_hour=_float(r["spot_usd_per_hour"]),
                source=r["source"],
                date=r["date"],
            )
            for r in csv.DictReader(f)
        )


def _read_buckets(path: Path) -> dict[tuple[str, str, str], int]:
    if not path.exists():
        return {}
    with path.open() as f:
        return {
            (r["cloud"], r["region"], r["instance_type"]): int(r["interruption_bucket"])
            for r in csv.DictReader(f)
        }


def _read_sagemaker(path: Path) -> dict[str, dict[str, str]]:
    if not path.exists():
        return {}
    with path.open() as f:
        return {r["instance_type"]: r for r in csv.DictReader(f)}


def _series(instance_type: str) -> str:
    """``a3-highgpu-8g`` -> ``a3-highgpu``: the sizes of one GCP machine series share zones."""
    return instance_type.rsplit("-", 1)[0]


def _read_zones(path: Path) -> dict[tuple[str, str], dict[str, tuple[str, ...]]]:
    """(cloud, machine type or series) -> region -> zones offering it."""
    if not path.exists():
        return {}
    out: dict[tuple[str, str], dict[str, set[str]]] = {}
    with path.open() as f:
        for r in csv.DictReader(f):
            for key in (r["machine_type"], _series(r["machine_type"])):
                out.setdefault(("gcp", key), {}).setdefault(r["region"], set()).add(r["zone"])
    return {k: {reg: tuple(sorted(z)) for reg, z in v.items()} for k, v in out.items()}


def _read_prices(path: Path) -> dict[str, Any]:
    return yaml.safe_load(path.read_text()) if path.exists() else {}


class Catalog:
    def __init__(
        self,
        offers: Iterable[Offer],
        *,
        cpu_offers: Iterable[Offer] = (),
        interruption_buckets: Mapping[tuple[str, str, str], int] | None = None,
        prices: Mapping[str, Any] | None = None,
        sagemaker: Mapping[str, Mapping[str, str]] | None = None,
        zones: Mapping[tuple[str, str], Mapping[str, tuple[str, ...]]] | None = None,
    ):
        buckets = dict(interruption_buckets or {})

        def with_bucket(o: Offer) -> Offer:
            b = buckets.get((o.cloud, o.region, o.instance_type))
            return replace(o, interruption_bucket=b) if b is not None else o

        self.offers: tuple[Offer, ...] = tuple(with_bucket(o) for o in offers)
        """Accelerator (GPU/TPU) offers; CPU-only types are in `cpu_offers`."""
        self.cpu_offers: tuple[Offer, ...] = tuple(with_bucket(o) for o in cpu_offers)
        self._buckets = buckets
        self._by_type = {
            (o.cloud, o.region, o.instance_type): o for o in (*self.cpu_offers, *self.offers)
        }
        self._prices: dict[str, Any] = dict(prices or {})
        self._sagemaker = dict(sagemaker or {})
        self._zones = dict(zones or {})
        self.hours_per_month: float = float(self._prices.get("hours_per_month", 730))

    def offers_for(
        self,
        cloud: str | None = None,
        region: str | None = None,
        accelerator: str | None = None,
        count: int | None = None,
    ) -> list[Offer]:
        return [
            o
            for o in self.offers
            if (cloud is None or o.cloud == cloud)
            and (region is None or o.region == region)
            and (accelerator is None or o.accelerator == accelerator)
            and (count is None or o.accelerator_count == count)
        ]

    def regions(self, cloud: str) -> list[str]:
        return sorted({o.region for o in self.offers if o.cloud == cloud})

    def regions_offering(self, cloud: str, accelerator: str, count: int | None = None) -> list[str]:
        return sorted({o.region for o in self.offers_for(cloud, None, accelerator, count)})

    def accelerator_counts(
        self, cloud: str, accelerator: str, region: str | None = None
    ) -> list[int]:
        return sorted({o.accelerator_count for o in self.offers_for(cloud, region, accelerator)})

    def instance_types(self, cloud: str, region: str, accelerator: str, count: int) -> list[str]:
        """Instance types with `count` x `accelerator` in `region`, cheapest on-demand first.

        Spot pools use several of them to diversify capacity; the first is the default.
        """
        found = self.offers_for(cloud, region, accelerator, count)
        if not found:
            regions = self.regions_offering(cloud, accelerator, count)
            raise CatalogError(
                f"the catalog has no price for a {count}x{accelerator} {cloud} instance in "
                f"{region}; the catalog's regions for it: {', '.join(regions) or 'none'}"
            )
        # Types some zone offers first: a price alone does not make a type launchable there.
        found.sort(
            key=lambda o: (
                not self.offered(o),
                o.on_demand_usd_per_hour or float("inf"),
                o.instance_type,
            )
        )
        return [o.instance_type for o in found]

    def zones(self, cloud: str, region: str, instance_type: str) -> tuple[str, ...] | None:
        """The zones of `region` that offer `instance_type`, sorted; () where none does.

        None where the catalog has no zone data for the type or its machine series (CPU
        types, TPUs, other clouds): it is then not known, and callers do not filter on it.
        A type without rows of its own takes its series' zones (``a3-highgpu-4g`` those
        of ``a3-highgpu-1g`` and ``-8g``).
        """
        by_region = self._zones.get((cloud, instance_type)) or self._zones.get(
            (cloud, _series(instance_type))
        )
        if by_region is None:
            return None
        return by_region.get(region, ())

    def offered(self, o: Offer) -> bool:
        """False only when the zone data says no zone of the offer's region has its type."""
        return self.zones(o.cloud, o.region, o.instance_type) != ()

    def regions_with_zones(self, cloud: str, instance_type: str) -> list[str]:
        """Regions where some zone offers `instance_type` (empty: unknown or nowhere)."""
        by_region = self._zones.get((cloud, instance_type)) or self._zones.get(
            (cloud, _series(instance_type))
        )
        return sorted(by_region or {})

    def offer(self, cloud: str, region: str, instance_type: str) -> Offer:
        """The offer for one instance/machine/VM type, accelerator or CPU-only."""
        try:
            return self._by_type[(cloud, region, instance_type)]
        except KeyError:
            where = sorted(r for (c, r, t) in self._by_type if c == cloud and t == instance_type)
            hint = (
                f"; regions that have it: {', '.join(where)}"
                if where
                else " (the catalog does not carry this type)"
            )
            raise CatalogError(f"no {cloud} offer for {instance_type} in {region}{hint}") from None

    def interruption_bucket(self, cloud: str, region: str, instance_type: str) -> int | None:
        """AWS Spot Advisor interruption bucket 0 (<5%/month) .. 4 (>20%); None if unpublished.

        Only AWS publishes these; GCP and Azure types always answer None.
        """
        return self._buckets.get((cloud, region, instance_type))

    def service_price(self, cloud: str, key: str, region: str | None = None) -> ServicePrice:
        """A non-instance price from `data/prices.yaml` (e.g. ``("aws", "eks_control_plane")``).

        Regional figures need `region`; a region the snapshot lacks raises `CatalogError`
        rather than borrowing another region's price.
        """
        rec = self._prices.get(cloud, {}).get(key)
        if rec is None:
            known = ", ".join(sorted(self._prices.get(cloud, {}))) or "none"
            raise CatalogError(f"no {cloud} price named {key!r}; known: {known}")
        usd = rec["usd"]
        if isinstance(usd, Mapping):
            if region not in usd:
                raise CatalogError(
                    f"no {cloud} {key} price for region {region!r}; "
                    f"regions in the snapshot: {', '.join(sorted(usd))}"
                )
            return ServicePrice(
                cloud, key, float(usd[region]), rec["unit"], rec["source"], str(rec["date"]), region
            )
        return ServicePrice(cloud, key, float(usd), rec["unit"], rec["source"], str(rec["date"]))

    def service_prices(self, cloud: str | None = None) -> list[ServicePrice]:
        """Every non-instance price (one row per region for regional ones)."""
        out: list[ServicePrice] = []
        for c in (cloud,) if cloud else ("aws", "gcp", "azure"):
            for key, rec in self._prices.get(c, {}).items():
                regions = list(rec["usd"]) if isinstance(rec["usd"], Mapping) else [None]
                out.extend(self.service_price(c, key, r) for r in regions)
        return out

    def managed_premium(self, cloud: str, instance_type: str | None = None) -> ManagedPremium:
        """How much the cloud's managed training service charges over the VM price.

        SageMaker: the `ml.<type>` / `<type>` ratio where the source has the pair, else the
        same family's ratio, else the median of all pairs (the basis says which).
        """
        if cloud == "gcp":
            p = self.service_price("gcp", "vertex_training_premium_ratio")
            return ManagedPremium("vertex", p.usd, p.source, p.date, "all machine types")
        if cloud == "azure":
            p = self.service_price("azure", "azureml_premium_ratio")
            return ManagedPremium("azureml", p.usd, p.source, p.date, "VM rates")
        if cloud != "aws":
            raise CatalogError(f"cloud {cloud!r} is not one of aws, gcp, azure")
        if not self._sagemaker:
            raise CatalogError("the snapshot has no SageMaker premium data")
        rows = self._sagemaker
        if instance_type in rows:
            r, basis = rows[instance_type], f"ml.{instance_type} vs {instance_type}"
            return ManagedPremium("sagemaker", float(r["ratio"]), r["source"], r["date"], basis)
        family = (instance_type or "").split(".")[0]
        same = [r for t, r in rows.items() if t.split(".")[0] == family]
        if same:
            ratios = sorted(float(r["ratio"]) for r in same)
            basis = f"{family} family median of {len(same)} pairs"
        else:
            ratios = sorted(float(r["ratio"]) for r in rows.values())
            basis = f"median of all {len(ratios)} ml.* pairs ({family or 'no type'} not in source)"
        any_row = next(iter(same or rows.values()))
        return ManagedPremium(
            "sagemaker", ratios[len(ratios) // 2], any_row["source"], any_row["date"], basis
        )

    def dates(self) -> list[str]:
        """Every distinct price date in the snapshot, oldest first."""
        ds = {o.date for o in (*self.offers, *self.cpu_offers)}
        ds |= {p.date for p in self.service_prices()}
        ds |= {r["date"] for r in self._sagemaker.values()}
        return sorted(ds)


@cache
def get_catalog() -> Catalog:
    """The shipped snapshot (cached; the files are read once per process)."""
    return load_catalog(DATA_DIR)


def load_catalog(data_dir: Path) -> Catalog:
    """A catalog from a snapshot folder laid out like `cost/data/`."""
    return Catalog(
        _read_offers(data_dir / OFFERS_CSV.name),
        cpu_offers=_read_cpu_offers(data_dir / CPU_OFFERS_CSV.name),
        interruption_buckets=_read_buckets(data_dir / SPOT_ADVISOR_CSV.name),
        prices=_read_prices(data_dir / PRICES_YAML.name),
        sagemaker=_read_sagemaker(data_dir / SAGEMAKER_CSV.name),
        zones=_read_zones(data_dir / GCP_ZONES_CSV.name),
    )
