"""The optimizer uses only offers some zone offers, and keeps suspect spot prices out of its
choice unless asked (saying when one would have been cheaper)."""

from __future__ import annotations

from cost.catalog import get_catalog
from cost.optimize import optimize
from cost.workload import Workload


def h100(*regions: str) -> Workload:
    return Workload.parse(
        {
            "name": "h100",
            "model": {"parameters": 1.3e9, "tokens": 26e9, "global_batch_tokens": 524288},
            "checkpoint": {"size_gib": 21, "write_gib_per_second": 1.0},
            "deadline_hours": 96,
            "deadline_probability": 0.5,
            "clouds": ["gcp"],
            "regions": {"gcp": list(regions)},
            "accelerators": ["H100"],
            "max_nodes": 2,
        }
    )


def test_zone_data_tells_offered_from_merely_priced():
    cat = get_catalog()
    assert cat.zones("gcp", "us-central1", "a3-highgpu-8g") == (
        "us-central1-a",
        "us-central1-b",
        "us-central1-c",
    )
    priced_only = cat.offer("gcp", "northamerica-northeast1", "a3-highgpu-8g")
    assert priced_only.on_demand_usd_per_hour and not cat.offered(priced_only)
    assert cat.zones("gcp", "us-east4", "a3-highgpu-4g")  # a size without rows: its series'
    assert cat.zones("gcp", "us-central1", "e2-standard-4") is None  # no zone data: unknown


def test_plans_are_never_placed_where_no_zone_offers_the_machine():
    r = optimize(h100("us-central1", "northamerica-northeast1"))
    assert r.best is not None and r.best.region == "us-central1"
    assert all(p.region != "northamerica-northeast1" for p in r.frontier)
    assert any(s.startswith("placement: ") and "northamerica-northeast1" in s for s in r.skipped)
    assert f"placement: {r.best.instance_type} is offered in us-central1-a" in "\n".join(
        r.explanation
    )


def test_a_suspect_spot_price_is_skipped_and_the_cheaper_plan_it_made_is_named():
    suspect = get_catalog().offer("gcp", "europe-north1", "a3-highgpu-8g")
    assert suspect.spot_suspect  # $10.21 spot vs $97.44 on-demand, as in the source
    r = optimize(h100("us-central1", "europe-north1"))
    assert r.best is not None and r.best.region == "us-central1"
    (line,) = [x for x in r.explanation if x.startswith("skipped a cheaper plan")]
    assert "gcp/europe-north1" in line and "--allow-suspect-spot" in line
    assert r.as_dict()["skipped"][-1] == line

    admitted = optimize(h100("us-central1", "europe-north1"), allow_suspect_spot=True)
    assert admitted.best is not None
    assert admitted.best.region == "europe-north1" and admitted.best.mode != "on_demand"
    assert admitted.best.expected_cost_usd < r.best.expected_cost_usd
    assert any("suspect spot price" in x for x in admitted.explanation)
