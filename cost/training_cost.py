"""What one training run costs on each cloud: compute, managed-service premium, storage, egress.

A job file (`pioneer cost --training JOB.yaml`)::

    accelerator: H100            # a cloud-neutral kind (cost.accelerators)
    accelerators_per_node: 8
    nodes: 2
    hours: 24                    # wall-clock hours; or `accelerator_hours: 384` (the work)
    capacity: spot               # spot | on_demand
    backend: managed             # managed | kubernetes | sagemaker | vertex | azureml
    clouds: [aws, gcp, azure]    # default: every cloud (sagemaker/vertex/azureml: its cloud)
    regions: {aws: us-east-1}    # default: the cloud's cheapest region for the capacity
    storage_gb: 500              # data and checkpoints kept for the run
    egress_gb: 50                # results sent out of the cloud

Spot hours are priced as given (no interruption overhead here; `cost.optimize`
models that). Each cloud's row also carries `energy: {kwh, kg_co2e, not_estimated,
factors}` for the same node-hours (`cost.energy`). Storage is prorated: GB x $/GB-month x hours / hours-per-month.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

import yaml

from cost.accelerators import parse_accelerator
from cost.catalog import Catalog, CatalogError, Offer, get_catalog
from cost.energy import estimate as estimate_energy
from cost.input_file import parse_yaml, read_input

CLOUDS = ("aws", "gcp", "azure")
BACKENDS = ("managed", "kubernetes", "sagemaker", "vertex", "azureml")
SERVICE_CLOUD = {"sagemaker": "aws", "vertex": "gcp", "azureml": "azure"}
STORAGE_KEY = {
    "aws": "s3_standard_gb_month",
    "gcp": "gcs_standard_gb_month",
    "azure": "blob_hot_lrs_gb_month",
}
EGRESS_KEY = {
    "aws": "egress_internet_gb",
    "gcp": "egress_internet_gb",
    "azure": "egress_internet_gb",
}
FIELDS = (
    "accelerator",
    "accelerators_per_node",
    "nodes",
    "hours",
    "accelerator_hours",
    "capacity",
    "backend",
    "clouds",
    "regions",
    "storage_gb",
    "egress_gb",
    "name",
)


class TrainingCostError(ValueError):
    """A job description that cannot be priced; the message names the field."""


def parse_job(doc: Any) -> dict[str, Any]:
    """Validate a job description; every problem is reported at once, each naming its field."""
    if not isinstance(doc, Mapping):
        raise TrainingCostError("job: expected a mapping of " + ", ".join(FIELDS))
    errs: list[str] = []

    def check(fn: Any, *args: Any) -> Any:
        try:
            return fn(*args)
        except (TrainingCostError, ValueError) as e:
            errs.append(str(e))
            return None

    unknown = sorted(set(doc) - set(FIELDS))
    if unknown:
        errs.append(f"job: unknown field(s) {', '.join(unknown)}; allowed: {', '.join(FIELDS)}")
    accel, count = check(_accelerator, doc.get("accelerator")) or (None, None)
    per_node = check(
        _pos_int, doc.get("accelerators_per_node", count or 8), "accelerators_per_node"
    )
    if count is not None and "accelerators_per_node" in doc and per_node != count:
        errs.append(
            f"accelerator: {doc['accelerator']!r} says {count} per node but "
            f"accelerators_per_node is {doc['accelerators_per_node']}; give one"
        )
    nodes = check(_pos_int, doc.get("nodes", 1), "nodes")
    hours = None
    if ("hours" in doc) == ("accelerator_hours" in doc):
        errs.append("hours: give exactly one of hours (wall clock) or accelerator_hours (the work)")
    elif "hours" in doc:
        hours = check(_pos_float, doc["hours"], "hours")
    else:
        work = check(_pos_float, doc["accelerator_hours"], "accelerator_hours")
        if work is not None and nodes and per_node:
            hours = work / (nodes * per_node)
    capacity = doc.get("capacity", "spot")
    if capacity not in ("spot", "on_demand"):
        errs.append(f"capacity: {capacity!r} is not one of spot, on_demand")
    backend = doc.get("backend", "managed")
    if backend not in BACKENDS:
        errs.append(f"backend: {backend!r} is not one of {', '.join(BACKENDS)}")
    default_clouds = [SERVICE_CLOUD[backend]] if backend in SERVICE_CLOUD else list(CLOUDS)
    clouds = doc.get("clouds", default_clouds)
    if not isinstance(clouds, list) or not clouds or any(c not in CLOUDS for c in clouds):
        errs.append(f"clouds: {clouds!r}: expected a list of {', '.join(CLOUDS)}")
    elif backend in SERVICE_CLOUD and clouds != [SERVICE_CLOUD[backend]]:
        errs.append(
            f"clouds: backend {backend} runs on {SERVICE_CLOUD[backend]} "
            "only; use backend: managed to compare clouds"
        )
    regions = doc.get("regions") or {}
    if not isinstance(regions, Mapping) or any(c not in CLOUDS for c in regions):
        errs.append(f"regions: expected a mapping of cloud -> region for {', '.join(CLOUDS)}")
    storage = check(_nonneg, doc.get("storage_gb", 0), "storage_gb")
    egress = check(_nonneg, doc.get("egress_gb", 0), "egress_gb")
    if errs:
        raise TrainingCostError("invalid training job:\n" + "\n".join(f"  - {e}" for e in errs))
    return {
        "name": str(doc.get("name", "training-run")),
        "accelerator": accel,
        "accelerators_per_node": per_node,
        "nodes": nodes,
        "hours": hours,
        "capacity": capacity,
        "backend": backend,
        "clouds": clouds,
        "regions": dict(regions),
        "storage_gb": storage,
        "egress_gb": egress,
    }


def _accelerator(v: Any) -> tuple[str, int | None]:
    try:
        return parse_accelerator(v)
    except ValueError as e:
        raise TrainingCostError(f"accelerator: {e}") from None


def _pos_int(v: Any, name: str) -> int:
    if isinstance(v, bool) or not isinstance(v, int) or v < 1:
        raise TrainingCostError(f"{name}: expected a whole number >= 1, got {v!r}")
    return v


def _pos_float(v: Any, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v <= 0:
        raise TrainingCostError(f"{name}: expected a number > 0, got {v!r}")
    return float(v)


def _nonneg(v: Any, name: str) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)) or v < 0:
        raise TrainingCostError(f"{name}: expected a number >= 0, got {v!r}")
    return float(v)


def _pick_offer(catalog: Catalog, job: Mapping[str, Any], cloud: str) -> tuple[Offer, str | None]:
    spot = job["capacity"] == "spot"
    region = job["regions"].get(cloud)
    offers = catalog.offers_for(cloud, region, job["accelerator"], job["accelerators_per_node"])
    if not offers:
        where = f"in {region}" if region else "in any region of the catalog"
        raise CatalogError(
            f"{cloud} has no {job['accelerators_per_node']}x{job['accelerator']} offer {where}"
        )
    with_price = [o for o in offers if o.price(spot) is not None]
    if with_price:
        return min(with_price, key=lambda o: (o.price(spot), o.region, o.instance_type)), None
    od = [o for o in offers if o.on_demand_usd_per_hour is not None]
    if not od:
        raise CatalogError(f"{cloud}: no price for {job['accelerator']}")
    note = "no spot price in the catalog; priced at on-demand (an upper bound)"
    return min(od, key=lambda o: (o.on_demand_usd_per_hour, o.region)), note


def estimate_training(
    job_doc: Mapping[str, Any], *, catalog: Catalog | None = None
) -> dict[str, Any]:
    """Price one training run on each requested cloud; cheapest cloud first."""
    catalog = catalog or get_catalog()
    job = parse_job(job_doc)
    spot = job["capacity"] == "spot"
    rows = []
    for cloud in job["clouds"]:
        try:
            offer, note = _pick_offer(catalog, job, cloud)
        except CatalogError as e:
            rows.append(
                {
                    "cloud": cloud,
                    "region": job["regions"].get(cloud),
                    "status": "not_priced",
                    "reason": str(e),
                    "total_usd": None,
                }
            )
            continue
        price = offer.price(spot) if note is None else offer.on_demand_usd_per_hour
        assert price is not None
        node_hours = job["nodes"] * job["hours"]
        compute = node_hours * price
        notes = [note] if note else []
        if spot and note is None and offer.spot_warning():
            notes.append(str(offer.spot_warning()))
        premium, premium_info = 0.0, None
        if job["backend"] != "kubernetes":
            mp = catalog.managed_premium(cloud, offer.instance_type)
            premium = compute * (mp.ratio - 1.0)
            premium_info = {
                "service": mp.service,
                "ratio": mp.ratio,
                "basis": mp.basis,
                "source": mp.source,
                "date": mp.date,
            }
        storage = egress = 0.0
        for key, kind in ((STORAGE_KEY[cloud], "storage"), (EGRESS_KEY[cloud], "egress")):
            qty = (
                job["storage_gb"] * job["hours"] / catalog.hours_per_month
                if kind == "storage"
                else job["egress_gb"]
            )
            if qty == 0:
                continue
            try:
                p = catalog.service_price(cloud, key, offer.region)
            except CatalogError as e:
                notes.append(f"{kind} not priced: {e}")
                continue
            if kind == "storage":
                storage = qty * p.usd
            else:
                egress = qty * p.usd
        rows.append(
            {
                "cloud": cloud,
                "region": offer.region,
                "status": "priced",
                "instance_type": offer.instance_type,
                "capacity": job["capacity"],
                "usd_per_node_hour": price,
                "node_hours": round(node_hours, 4),
                "compute_usd": round(compute, 2),
                "managed_premium_usd": round(premium, 2),
                "managed_premium": premium_info,
                "storage_usd": round(storage, 2),
                "egress_usd": round(egress, 2),
                "total_usd": round(compute + premium + storage + egress, 2),
                "interruption_bucket": offer.interruption_bucket,
                "price_source": offer.source,
                "price_date": offer.date,
                "notes": notes,
                # the node-hours priced above, at training load (cost.energy)
                "energy": estimate_energy(offer, job["hours"], job["nodes"]).as_dict(),
            }
        )
    rows.sort(key=lambda r: (r["total_usd"] is None, r["total_usd"] or 0.0))
    return {
        "job": job,
        "currency": "USD",
        "clouds": rows,
        "cheapest": next((r["cloud"] for r in rows if r["status"] == "priced"), None),
    }


def load_job(path: str | Path) -> dict[str, Any]:
    p = Path(path)
    text = read_input(p, "training job file")
    try:
        return parse_yaml(text) or {}
    except yaml.YAMLError as e:
        raise TrainingCostError(f"{p}: not valid YAML ({e})") from None
