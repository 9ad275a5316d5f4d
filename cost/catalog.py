"""The dated, sourced price catalog: GPU/TPU offers per cloud and region.

This is the one place that maps a cloud-neutral accelerator (``H100``) to the
instance or machine types that carry it (``p5.48xlarge``, ``a3-highgpu-8g``,
``Standard_ND96isr_H100_v5``). Every offer carries the source and date of its
prices; nothing here reads the network.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from functools import cache
from pathlib import Path

DATA_DIR = Path(__file__).parent / "data"
OFFERS_CSV = DATA_DIR / "offers.csv"


class CatalogError(LookupError):
    """A lookup the catalog cannot answer; the message says what it does have."""


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

    def price(self, spot: bool) -> float | None:
        return self.spot_usd_per_hour if spot else self.on_demand_usd_per_hour


def _float(v: str) -> float | None:
    return float(v) if v not in ("", None) else None


def _read_offers(path: Path) -> tuple[Offer, ...]:
    with path.open() as f:
        return tuple(
            Offer(
                cloud=r["cloud"], region=r["region"], instance_type=r["instance_type"],
                accelerator=r["accelerator"], accelerator_count=int(r["accelerator_count"]),
                accelerator_memory_gib=float(r["accelerator_memory_gib"] or 0),
                vcpus=float(r["vcpus"] or 0), memory_gib=float(r["memory_gib"] or 0),
                on_demand_usd_per_hour=_float(r["on_demand_usd_per_hour"]),
                spot_usd_per_hour=_float(r["spot_usd_per_hour"]),
                source=r["source"], date=r["date"],
            )
            for r in csv.DictReader(f)
        )


class Catalog:
    def __init__(self, offers: Iterable[Offer]):
        self.offers: tuple[Offer, ...] = tuple(offers)
        self._by_type = {(o.cloud, o.region, o.instance_type): o for o in self.offers}

    def offers_for(
        self,
        cloud: str | None = None,
        region: str | None = None,
        accelerator: str | None = None,
        count: int | None = None,
    ) -> list[Offer]:
        return [
            o for o in self.offers
            if (cloud is None or o.cloud == cloud)
            and (region is None or o.region == region)
            and (accelerator is None or o.accelerator == accelerator)
            and (count is None or o.accelerator_count == count)
        ]

    def regions(self, cloud: str) -> list[str]:
        return sorted({o.region for o in self.offers if o.cloud == cloud})

    def regions_offering(self, cloud: str, accelerator: str, count: int | None = None) -> list[str]:
        return sorted({o.region for o in self.offers_for(cloud, None, accelerator, count)})

    def accelerator_counts(self, cloud: str, accelerator: str, region: str | None = None) -> list[int]:
        return sorted({o.accelerator_count for o in self.offers_for(cloud, region, accelerator)})

    def instance_types(self, cloud: str, region: str, accelerator: str, count: int) -> list[str]:
        """Instance types with `count` x `accelerator` in `region`, cheapest on-demand first.

        Spot pools use several of them to diversify capacity; the first is the default.
        """
        found = self.offers_for(cloud, region, accelerator, count)
        if not found:
            regions = self.regions_offering(cloud, accelerator, count)
            raise CatalogError(
                f"{cloud} offers no {count}x{accelerator} instance in {region}; "
                f"regions that do: {', '.join(regions) or 'none'}"
            )
        found.sort(key=lambda o: (o.on_demand_usd_per_hour or float("inf"), o.instance_type))
        return [o.instance_type for o in found]

    def offer(self, cloud: str, region: str, instance_type: str) -> Offer:
        try:
            return self._by_type[(cloud, region, instance_type)]
        except KeyError:
            raise CatalogError(f"no {cloud} offer for {instance_type} in {region}") from None


@cache
def get_catalog() -> Catalog:
    """The shipped snapshot (cached; the CSV is read once per process)."""
    return Catalog(_read_offers(OFFERS_CSV))
