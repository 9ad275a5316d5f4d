"""What an inference endpoint costs: replica-hours at min and at max, and per 1,000 predictions.

Replica price = the catalog's VM price for the type × the managed service's
premium over it (SageMaker `ml.*` vs EC2 from the sourced pairs, Vertex's
published ratio, Azure ML none; on a cluster, the node price itself). The
real-time endpoints priced here (SageMaker real-time, Vertex online prediction,
Azure ML managed online) bill instance-hours only, no per-request fee, so the
cost of 1,000 predictions follows from the measured throughput per replica.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from typing import Any

from cost.catalog import get_catalog
from cost.energy import estimate as energy_estimate

HOURS_PER_MONTH = 730
TARGET_CLOUD = {"sagemaker": "aws", "vertex": "gcp", "azureml": "azure"}


@dataclass(frozen=True)
class EndpointCost:
    target: str
    cloud: str
    region: str
    instance_type: str
    replica_usd_per_hour: float
    min_replicas: int
    max_replicas: int
    monthly_usd_min: float
    monthly_usd_max: float
    premium_ratio: float
    premium_basis: str
    sources: list[str]
    date: str

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def endpoint_cost(
    target: str,
    cloud: str,
    region: str,
    instance_type: str,
    min_replicas: int,
    max_replicas: int,
    hours: float = HOURS_PER_MONTH,
) -> EndpointCost:
    """Cost of an endpoint running `hours` at min and at max replicas (`target` kubernetes:
    the cluster's node price, no managed premium)."""
    catalog = get_catalog()
    offer = catalog.offer(cloud, region, instance_type)
    assert offer.on_demand_usd_per_hour is not None
    if target == "kubernetes":
        ratio, basis, sources = 1.0, "cluster node (no managed premium)", [offer.source]
    else:
        p = catalog.managed_premium(cloud, instance_type)
        ratio, basis, sources = p.ratio, p.basis, [offer.source, p.source]
    per_hour = offer.on_demand_usd_per_hour * ratio
    return EndpointCost(
        target=target,
        cloud=cloud,
        region=region,
        instance_type=instance_type,
        replica_usd_per_hour=round(per_hour, 6),
        min_replicas=min_replicas,
        max_replicas=max_replicas,
        monthly_usd_min=round(per_hour * hours * min_replicas, 2),
        monthly_usd_max=round(per_hour * hours * max_replicas, 2),
        premium_ratio=ratio,
        premium_basis=basis,
        sources=sources,
        date=offer.date,
    )


def per_thousand(cost: EndpointCost, predictions_per_second: float) -> dict[str, Any]:
    """Dollars, kWh and kg CO2e per 1,000 predictions for one replica at the given throughput."""
    if predictions_per_second <= 0:
        raise ValueError("predictions_per_second must be positive")
    hours = 1000 / (predictions_per_second * 3600)
    offer = get_catalog().offer(cost.cloud, cost.region, cost.instance_type)
    energy = energy_estimate(offer, hours)
    return {
        "usd": cost.replica_usd_per_hour * hours,
        "kwh": energy.kwh,
        "kg_co2e": energy.kg_co2e,
        "energy_not_estimated": energy.not_estimated,
    }


@dataclass(frozen=True)
class EndpointOption:
    target: str
    region: str
    instance_type: str
    replicas: int
    usd_per_hour: float
    replica_rps: float


def cheapest_endpoints(
    target_rps: float,
    p99_ms: float,
    rps_per_vcpu: float,
    measured_p99_ms: float,
    targets: tuple[str, ...] = ("sagemaker", "vertex", "azureml"),
) -> list[EndpointOption]:
    """Every CPU instance/region that serves `target_rps` within `p99_ms`, cheapest first.

    Throughput per replica = `rps_per_vcpu` (measured by benchmarks/serving.py on one
    single-threaded server process) × the type's vCPUs, i.e. one server process per vCPU.
    Latency does not improve with more replicas of the same speed, so a measured p99 over
    the target rules every option out (the answer is then an empty list).
    """
    if target_rps <= 0 or rps_per_vcpu <= 0:
        raise ValueError("target_rps and rps_per_vcpu must be positive")
    if measured_p99_ms > p99_ms:
        return []
    import math

    catalog = get_catalog()
    options = []
    for target in targets:
        cloud = TARGET_CLOUD[target]
        for offer in catalog.cpu_offers:
            if offer.cloud != cloud or offer.on_demand_usd_per_hour is None:
                continue
            per_replica = rps_per_vcpu * offer.vcpus
            replicas = max(1, math.ceil(target_rps / per_replica))
            c = endpoint_cost(target, cloud, offer.region, offer.instance_type, replicas, replicas)
            options.append(
                EndpointOption(
                    target,
                    offer.region,
                    offer.instance_type,
                    replicas,
                    round(c.replica_usd_per_hour * replicas, 6),
                    per_replica,
                )
            )
    return sorted(options, key=lambda o: (o.usd_per_hour, o.target, o.region, o.instance_type))
