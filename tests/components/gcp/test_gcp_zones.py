"""GKE GPU pools go to the zones that offer their machine; B200 and H200 pools plan too."""

from __future__ import annotations

import pytest

from components.gcp.node_pools import plan_pool
from components.spec import PlatformSpec, SpecError
from cost.catalog import get_catalog


def gpu_spec(region: str = "us-central1", **pool) -> PlatformSpec:
    gpu = {"name": "train", "accelerator": "H100", "accelerators_per_node": 8, **pool}
    return PlatformSpec.model_validate(
        {
            "name": "mlp",
            "cloud": "gcp",
            "region": region,
            "project": "p",
            "node_pools": [{"name": "system", "max_nodes": 2}, gpu],
        }
    )


def plan(spec: PlatformSpec):
    return plan_pool(spec.node_pools[1], 1, spec)


def test_a_pool_without_zones_gets_the_zones_that_offer_its_machine():
    p = plan(gpu_spec(max_nodes=6, desired_nodes=3))
    assert p.machine_type == "a3-highgpu-8g"
    assert p.zones == ("us-central1-a", "us-central1-b", "us-central1-c")
    assert p.initial_node_count == 1  # 3 nodes over 3 offering zones


def test_zones_that_do_not_offer_the_machine_are_named_with_those_that_do():
    with pytest.raises(SpecError) as e:
        plan(gpu_spec(zones=["us-central1-a", "us-central1-f"]))
    assert e.value.errors == [
        "node_pools[1].zones: us-central1-f does not offer a3-highgpu-8g; the zones of "
        "us-central1 that do: us-central1-a, us-central1-b, us-central1-c"
    ]


def test_a_region_that_only_prices_the_machine_is_refused_at_the_spec_edge():
    spec = gpu_spec("northamerica-northeast1").model_dump()
    with pytest.raises(SpecError) as e:
        PlatformSpec.parse(spec)
    (msg,) = e.value.errors
    assert msg.startswith("node_pools[1].accelerator: no zone of northamerica-northeast1 offers")
    assert "regions with a zone that does: asia-east1," in msg and "us-central1" in msg


@pytest.mark.parametrize(
    "accel, machine, memory, gke",
    [
        ("B200", "a4-highgpu-8g", 180, "nvidia-b200"),
        ("H200", "a3-ultragpu-8g", 141, "nvidia-h200-141gb"),
    ],
)
def test_b200_and_h200_machines_are_listed_unpriced_and_plan(accel, machine, memory, gke):
    offer = get_catalog().offer("gcp", "us-central1", machine)
    assert (offer.accelerator, offer.accelerator_count, offer.accelerator_memory_gib) == (
        accel,
        8,
        memory,
    )
    assert offer.on_demand_usd_per_hour is None and offer.source.startswith("not priced")
    p = plan(gpu_spec(accelerator=accel))
    assert (p.machine_type, p.gke_accelerator) == (machine, gke)
    assert p.zones == get_catalog().zones("gcp", "us-central1", machine)
