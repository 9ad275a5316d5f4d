"""Rebuild the offer snapshot from the clouds' public pricing APIs (online only).

Evaluated first: the `gpuhunt` package (dstack, MPL-2.0) implements these
providers, but its Azure provider needs Azure credentials and
azure-mgmt-compute even though the Retail Prices API is public, its AWS
provider downloads the whole EC2 bulk price file (several GB), and its GCP
provider needs google-cloud-billing/compute/tpu clients and credentials. For
three small, read-only queries that is too much, so these are small clients:

- Azure Retail Prices API (no credentials): ``GET prices.azure.com/api/retail/prices``
  with an OData ``$filter``, following ``NextPageLink``.
- AWS Price List Query API ``pricing.get_products`` (JSON strings in ``PriceList``)
  plus ``ec2.describe_spot_price_history`` (AWS credentials, via boto3).
- GCP Cloud Billing Catalog API ``GET cloudbilling.googleapis.com/v1/services/
  6F81-5844-456A/skus?key=API_KEY`` (Compute Engine SKUs; machine price = vCPUs x
  core SKU + GiB x RAM SKU + GPUs x GPU SKU).

The parsers take the APIs' documented response shapes and are tested on recorded
responses; only the `fetch_*` functions touch the network. Each refreshed offer
keeps the accelerator facts (count, memory) of the snapshot row it replaces and
records the API and the date it was read as its source.
"""

from __future__ import annotations

import csv
import datetime as dt
import json
import urllib.parse
import urllib.request
from collections import defaultdict
from collections.abc import Callable, Iterable, Mapping
from dataclasses import asdict, replace
from pathlib import Path
from typing import Any

from cost.catalog import OFFER_FIELDS, OFFERS_CSV, Catalog, Offer, get_catalog

AZURE_API = "https://prices.azure.com/api/retail/prices"
GCP_COMPUTE_SERVICE = "6F81-5844-456A"
GCP_API = f"https://cloudbilling.googleapis.com/v1/services/{GCP_COMPUTE_SERVICE}/skus"
TIMEOUT_S = 30


class RefreshError(RuntimeError):
    """A refresh that could not run (offline, no credentials, bad response)."""


def _today() -> str:
    return dt.date.today().isoformat()


def _known(catalog: Catalog, cloud: str) -> dict[str, Offer]:
    """Instance type -> one snapshot offer (for accelerator facts the APIs do not give)."""
    return {o.instance_type: o for o in catalog.offers if o.cloud == cloud}


# --- Azure -----------------------------------------------------------------------------------


def azure_offers(items: Iterable[Mapping[str, Any]], catalog: Catalog, *, date: str) -> list[Offer]:
    """Offers from Retail Prices API items (``Items`` of each page).

    Keeps Linux consumption prices per hour; ``skuName`` ending in " Spot" is the spot
    price, "Low Priority" rows are skipped (retired for VMs; Azure ML bills them as spot).
    """
    known = _known(catalog, "azure")
    prices: dict[tuple[str, str], dict[str, float]] = defaultdict(dict)
    for it in items:
        if it.get("type") != "Consumption" or it.get("unitOfMeasure") != "1 Hour":
            continue
        if (
            "Windows" in str(it.get("productName", ""))
            or it.get("serviceName") != "Virtual Machines"
        ):
            continue
        sku = str(it.get("skuName", ""))
        if sku.endswith("Low Priority"):
            continue
        key = (str(it["armRegionName"]), str(it["armSkuName"]))
        kind = "spot" if sku.endswith(" Spot") else "on_demand"
        price = float(it["retailPrice"])
        prices[key][kind] = min(price, prices[key].get(kind, price))
    out = []
    for (region, itype), p in sorted(prices.items()):
        base = known.get(itype)
        if base is None or "on_demand" not in p:
            continue
        out.append(
            replace(
                base,
                region=region,
                on_demand_usd_per_hour=p["on_demand"],
                spot_usd_per_hour=p.get("spot"),
                interruption_bucket=None,
                source=f"Azure Retail Prices API {AZURE_API}",
                date=date,
            )
        )
    return out


def fetch_azure(
    region: str | None, get: Callable[[str], Mapping[str, Any]] | None = None
) -> list[dict[str, Any]]:
    """All VM price items (for one region, or every region), following NextPageLink."""
    flt = "serviceName eq 'Virtual Machines' and priceType eq 'Consumption'"
    if region:
        flt += f" and armRegionName eq '{region}'"
    url: str | None = f"{AZURE_API}?{urllib.parse.urlencode({'$filter': flt})}"
    get = get or _get_json
    items: list[dict[str, Any]] = []
    while url:
        page = get(url)
        items.extend(page.get("Items", []))
        url = page.get("NextPageLink")
    return items


# --- AWS -------------------------------------------------------------------------------------


def aws_on_demand(price_list: Iterable[str | Mapping[str, Any]]) -> dict[tuple[str, str], float]:
    """(region, instance type) -> Linux shared on-demand $/h from ``get_products`` PriceList."""
    out = {}
    for raw in price_list:
        doc = json.loads(raw) if isinstance(raw, str) else raw
        attrs = doc.get("product", {}).get("attributes", {})
        if (
            attrs.get("operatingSystem") != "Linux"
            or attrs.get("tenancy") != "Shared"
            or attrs.get("preInstalledSw", "NA") != "NA"
            or attrs.get("capacitystatus", "Used") != "Used"
        ):
            continue
        for term in doc.get("terms", {}).get("OnDemand", {}).values():
            for dim in term.get("priceDimensions", {}).values():
                usd = float(dim.get("pricePerUnit", {}).get("USD", 0) or 0)
                if dim.get("unit") == "Hrs" and usd > 0:
                    out[(attrs["regionCode"], attrs["instanceType"])] = usd
    return out


def aws_spot(history: Iterable[Mapping[str, Any]]) -> dict[str, float]:
    """Instance type -> lowest of the latest Linux spot price per AZ (the snapshot's method)."""
    latest: dict[tuple[str, str], tuple[str, float]] = {}
    for h in history:
        if h.get("ProductDescription") != "Linux/UNIX":
            continue
        key = (str(h["InstanceType"]), str(h["AvailabilityZone"]))
        ts = str(h["Timestamp"])
        if key not in latest or ts > latest[key][0]:
            latest[key] = (ts, float(h["SpotPrice"]))
    out: dict[str, float] = {}
    for (itype, _), (_, price) in latest.items():
        out[itype] = min(price, out.get(itype, price))
    return out


def aws_offers(
    on_demand: Mapping[tuple[str, str], float],
    spot: Mapping[str, float],
    region: str,
    catalog: Catalog,
    *,
    date: str,
) -> list[Offer]:
    known = _known(catalog, "aws")
    out = []
    for (r, itype), usd in sorted(on_demand.items()):
        base = known.get(itype)
        if r != region or base is None:
            continue
        sp = spot.get(itype)
        out.append(
            replace(
                base,
                region=region,
                on_demand_usd_per_hour=usd,
                spot_usd_per_hour=sp if sp is not None and sp < usd else None,
                interruption_bucket=None,
                source="AWS Price List API get_products + ec2 describe_spot_price_history",
                date=date,
            )
        )
    return out


def fetch_aws(
    region: str, catalog: Catalog
) -> tuple[dict[tuple[str, str], float], dict[str, float]]:
    try:
        import boto3
        from botocore.exceptions import BotoCoreError, ClientError, NoCredentialsError
    except ImportError as e:  # pragma: no cover - boto3 ships with sagemaker
        raise RefreshError(f"boto3 is needed for the AWS refresh ({e})") from None
    types = sorted({o.instance_type for o in catalog.offers if o.cloud == "aws"})
    try:
        pricing = boto3.client("pricing", region_name="us-east-1")
        price_list: list[str] = []
        for itype in types:
            pages = pricing.get_paginator("get_products").paginate(
                ServiceCode="AmazonEC2",
                Filters=[
                    {"Type": "TERM_MATCH", "Field": f, "Value": v}
                    for f, v in (
                        ("instanceType", itype),
                        ("regionCode", region),
                        ("operatingSystem", "Linux"),
                        ("tenancy", "Shared"),
                        ("preInstalledSw", "NA"),
                        ("capacitystatus", "Used"),
                    )
                ],
            )
            for page in pages:
                price_list.extend(page["PriceList"])
        ec2 = boto3.client("ec2", region_name=region)
        history: list[dict[str, Any]] = []
        for page in ec2.get_paginator("describe_spot_price_history").paginate(
            InstanceTypes=types,
            ProductDescriptions=["Linux/UNIX"],
            StartTime=dt.datetime.now(dt.UTC),
        ):
            history.extend(page["SpotPriceHistory"])
    except NoCredentialsError:
        raise RefreshError(
            "the AWS refresh needs AWS credentials (the Price List API and "
            "spot price history are not anonymous)"
        ) from None
    except (BotoCoreError, ClientError) as e:
        raise RefreshError(f"AWS pricing request failed: {e}") from None
    return aws_on_demand(price_list), aws_spot(history)


# --- GCP -------------------------------------------------------------------------------------

GCP_GPU_SKU = {
    "A100": "Nvidia Tesla A100 GPU",
    "A100-80GB": "Nvidia Tesla A100 80GB GPU",
    "H100": "Nvidia H100 80GB GPU",
    "L4": "Nvidia L4 GPU",
}


def _unit_price(sku: Mapping[str, Any]) -> float | None:
    try:
        rates = sku["pricingInfo"][0]["pricingExpression"]["tieredRates"]
    except (KeyError, IndexError):
        return None
    money = rates[-1]["unitPrice"]
    return int(money.get("units", 0) or 0) + int(money.get("nanos", 0) or 0) / 1e9


def gcp_rates(skus: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str, str], float]:
    """(region, component, usage) -> $/h, component like 'A2 core', 'A2 ram', 'gpu:A100'.

    usage is 'OnDemand' or 'Preemptible' (spot) as in the SKU's category.usageType.
    """
    gpu_by_desc = {v: k for k, v in GCP_GPU_SKU.items()}
    out = {}
    for sku in skus:
        cat = sku.get("category", {})
        usage = cat.get("usageType")
        if cat.get("resourceFamily") != "Compute" or usage not in ("OnDemand", "Preemptible"):
            continue
        desc = str(sku.get("description", "")).removeprefix("Spot Preemptible ")
        name = desc.split(" running in ")[0]
        if name in gpu_by_desc:
            component = f"gpu:{gpu_by_desc[name]}"
        elif name.endswith(" Instance Core"):
            component = name.removesuffix(" Instance Core") + " core"
        elif name.endswith(" Instance Ram"):
            component = name.removesuffix(" Instance Ram") + " ram"
        else:
            continue
        price = _unit_price(sku)
        if price is None:
            continue
        for region in sku.get("serviceRegions", []):
            out[(region, component, usage)] = price
    return out


def gcp_offers(
    rates: Mapping[tuple[str, str, str], float], catalog: Catalog, region: str | None, *, date: str
) -> list[Offer]:
    """GPU machine prices: vCPUs x core rate + GiB x RAM rate + GPUs x GPU rate."""
    out = []
    regions = sorted({r for (r, _, _) in rates if region is None or r == region})
    for itype, base in sorted(_known(catalog, "gcp").items()):
        if base.accelerator not in GCP_GPU_SKU:
            continue  # TPU slices are priced per chip on other SKUs; kept from the snapshot
        family = itype.split("-")[0].upper()
        for r in regions:
            price = {}
            for usage in ("OnDemand", "Preemptible"):
                core = rates.get((r, f"{family} core", usage))
                ram = rates.get((r, f"{family} ram", usage))
                gpu = rates.get((r, f"gpu:{base.accelerator}", usage))
                if core is not None and ram is not None and gpu is not None:
                    price[usage] = round(
                        base.vcpus * core + base.memory_gib * ram + base.accelerator_count * gpu, 6
                    )
            if "OnDemand" in price:
                out.append(
                    replace(
                        base,
                        region=r,
                        on_demand_usd_per_hour=price["OnDemand"],
                        spot_usd_per_hour=price.get("Preemptible"),
                        source=f"GCP Cloud Billing Catalog API services/{GCP_COMPUTE_SERVICE}/skus",
                        date=date,
                    )
                )
    return out


def fetch_gcp(
    api_key: str, get: Callable[[str], Mapping[str, Any]] | None = None
) -> list[dict[str, Any]]:
    get = get or _get_json
    skus: list[dict[str, Any]] = []
    token = ""
    while True:
        q = {"key": api_key, "pageSize": 5000, **({"pageToken": token} if token else {})}
        page = get(f"{GCP_API}?{urllib.parse.urlencode(q)}")
        skus.extend(page.get("skus", []))
        token = page.get("nextPageToken") or ""
        if not token:
            return skus


# --- shared ----------------------------------------------------------------------------------


def _get_json(url: str) -> Mapping[str, Any]:
    try:
        with urllib.request.urlopen(url, timeout=TIMEOUT_S) as resp:  # noqa: S310 (https only)
            return json.loads(resp.read())
    except OSError as e:
        host = urllib.parse.urlparse(url).netloc
        raise RefreshError(
            f"cannot reach {host} ({e}); `pioneer catalog refresh` needs the "
            "internet — the shipped snapshot is still in use"
        ) from None


def merge_offers(current: Iterable[Offer], fresh: Iterable[Offer]) -> list[Offer]:
    """The snapshot with the rows the fresh offers cover (cloud, region, type) replaced."""
    fresh = list(fresh)
    replaced = {(o.cloud, o.region, o.instance_type) for o in fresh}
    kept = [o for o in current if (o.cloud, o.region, o.instance_type) not in replaced]
    return sorted([*kept, *fresh], key=lambda o: (o.cloud, o.region, o.instance_type))


def write_offers(offers: Iterable[Offer], path: Path = OFFERS_CSV) -> None:
    fields = list(OFFER_FIELDS)
    with path.open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=fields, lineterminator="\n", extrasaction="ignore")
        w.writeheader()
        for o in offers:
            row = asdict(o)
            row["spot_usd_per_hour"] = "" if o.spot_usd_per_hour is None else o.spot_usd_per_hour
            w.writerow(row)


def refresh(
    cloud: str, region: str | None = None, *, gcp_api_key: str | None = None, out: Path = OFFERS_CSV
) -> dict[str, Any]:
    """Fetch, parse, merge and write; returns what changed. Raises `RefreshError` offline."""
    catalog = get_catalog()
    date = _today()
    if cloud == "azure":
        fresh = azure_offers(fetch_azure(region), catalog, date=date)
    elif cloud == "aws":
        if not region:
            raise RefreshError("--region is required for the AWS refresh (e.g. us-east-1)")
        od, spot = fetch_aws(region, catalog)
        fresh = aws_offers(od, spot, region, catalog, date=date)
    elif cloud == "gcp":
        if not gcp_api_key:
            raise RefreshError(
                "the GCP refresh needs an API key: set GOOGLE_API_KEY (Cloud Billing Catalog API)"
            )
        fresh = gcp_offers(gcp_rates(fetch_gcp(gcp_api_key)), catalog, region, date=date)
    else:
        raise RefreshError(f"cloud: {cloud!r} is not one of aws, gcp, azure")
    if not fresh:
        raise RefreshError(
            f"the {cloud} API returned no prices for the instance types the "
            "catalog carries; the snapshot is unchanged"
        )
    write_offers(merge_offers(catalog.offers, fresh), out)
    get_catalog.cache_clear()
    return {
        "cloud": cloud,
        "region": region,
        "offers_refreshed": len(fresh),
        "date": date,
        "path": str(out),
    }
