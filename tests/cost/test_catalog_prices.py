"""The catalog snapshot: interruption buckets, CPU offers, service prices, managed premiums."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml

from cost.catalog import INTERRUPTION_RANGES, CatalogError, get_catalog

SHARED = Path(__file__).resolve().parents[3] / "shared" / "data" / "prices"
needs_shared = pytest.mark.skipif(not SHARED.is_dir(), reason="../shared reference data absent")


@needs_shared
def test_interruption_buckets_match_the_spot_advisor_source():
    advisor = json.loads((SHARED / "aws-spot-advisor-2025-06-28.json").read_text())["spot_advisor"]
    cat = get_catalog()
    checked = 0
    for o in cat.offers_for("aws"):
        src = advisor.get(o.region, {}).get("Linux", {}).get(o.instance_type)
        assert o.interruption_bucket == (src["r"] if src else None), o
        assert cat.interruption_bucket("aws", o.region, o.instance_type) == o.interruption_bucket
        checked += src is not None
    assert checked > 150  # nearly every AWS GPU offer has a published bucket


def test_interruption_bucket_is_none_where_unpublished():
    cat = get_catalog()
    assert cat.interruption_bucket("gcp", "us-central1", "a2-highgpu-8g") is None
    assert cat.interruption_bucket("aws", "us-east-1", "no-such.type") is None
    o = cat.offer("aws", "us-east-1", "p5.48xlarge")
    assert o.interruption_bucket in INTERRUPTION_RANGES
    assert o.interruption_range == INTERRUPTION_RANGES[o.interruption_bucket]


def test_cpu_system_node_types_are_priced_in_the_stack_regions():
    cat = get_catalog()
    assert cat.offer("aws", "us-east-1", "m6i.xlarge").on_demand_usd_per_hour == 0.192
    assert cat.offer("azure", "eastus", "Standard_D4s_v5").on_demand_usd_per_hour == 0.192
    e2 = cat.offer("gcp", "us-central1", "e2-standard-4")
    assert e2.on_demand_usd_per_hour == pytest.approx(0.134023)
    assert e2.spot_usd_per_hour is not None and e2.spot_usd_per_hour < e2.on_demand_usd_per_hour
    # CPU types never show up as accelerator offers (the spec and optimizer iterate those)
    assert all(o.accelerator for o in cat.offers)


def test_unknown_instance_type_error_names_what_exists():
    cat = get_catalog()
    with pytest.raises(CatalogError, match="does not carry"):
        cat.offer("aws", "us-east-1", "p9.96xlarge")
    with pytest.raises(CatalogError, match="regions that have it: .*us-east-2"):
        cat.offer("aws", "sa-east-1", "p5.48xlarge")


def test_service_prices_regional_and_flat():
    cat = get_catalog()
    assert cat.service_price("aws", "eks_control_plane").usd == 0.10
    nat = cat.service_price("aws", "nat_gateway_hour", "eu-central-1")
    assert (nat.usd, nat.region) == (0.052, "eu-central-1")
    with pytest.raises(CatalogError, match="region 'mars-1'"):
        cat.service_price("aws", "nat_gateway_hour", "mars-1")
    with pytest.raises(CatalogError, match="known: "):
        cat.service_price("gcp", "no_such_price")


@needs_shared
def test_gcp_service_prices_are_copied_from_the_reference_file():
    data = yaml.load(
        (SHARED / "gcp-pricing-2026-07-30.yml").read_text(),
        Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader),
    )
    cat = get_catalog()
    for region in ("us-central1", "europe-west4", "asia-south1"):
        assert (
            cat.service_price("gcp", "gcs_standard_gb_month", region).usd
            == data["storage"]["bucket"]["standard"]["cost"][region]["month"]
        )
    assert (
        cat.service_price("gcp", "cloud_nat_gb").usd
        == data["compute"]["network"]["nat"]["data"]["cost"]["us-central1"]["month"]
    )


def test_every_price_has_a_source_and_a_date():
    cat = get_catalog()
    for o in (*cat.offers, *cat.cpu_offers):
        assert o.source and o.date, o
    for p in cat.service_prices():
        assert p.source and p.date, p
        # a hand-typed list price must say so
        if p.source.startswith("https://"):
            assert "entered by hand" in p.source, p


@needs_shared
def test_sagemaker_premium_is_the_ratio_in_the_source():
    prices = yaml.safe_load((SHARED / "aws-sagemaker-and-ec2-prices-2025-01-26.yml").read_text())
    p = prices["pricing"]["instance_based"]
    cat = get_catalog()
    exact = cat.managed_premium("aws", "p5.48xlarge")
    assert exact.ratio == pytest.approx(p["ml.p5.48xlarge"] / p["p5.48xlarge"], abs=1e-4)
    assert exact.basis == "ml.p5.48xlarge vs p5.48xlarge"
    family = cat.managed_premium("aws", "g5.16xlarge")  # not in the source; g5 family is
    assert "g5 family" in family.basis and 1.1 < family.ratio < 1.5
    fallback = cat.managed_premium("aws", "p6-b200.48xlarge")
    assert "median of all" in fallback.basis
    assert cat.managed_premium("azure").ratio == 1.0
    assert cat.managed_premium("gcp").ratio > 1.0


@needs_shared
def test_derived_snapshot_files_rebuild_identically_from_the_reference_data():
    """spot_advisor/cpu_offers/sagemaker_premium carry no hand edits: the builder makes them.

    (offers.csv is left out: `pioneer catalog refresh` legitimately rewrites it.)
    """
    import csv
    import io

    from cost import build_snapshot

    built = build_snapshot.build(SHARED)
    for path in (
        build_snapshot.SPOT_ADVISOR_OUT,
        build_snapshot.CPU_OUT,
        build_snapshot.SAGEMAKER_OUT,
    ):
        rows, fields = built[path]
        buf = io.StringIO()
        w = csv.DictWriter(buf, fieldnames=fields, lineterminator="\n")
        w.writeheader()
        w.writerows(rows)
        assert buf.getvalue() == path.read_text(), path.name
