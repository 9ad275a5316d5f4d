"""Energy and carbon: hand-computed figures, and every factor sourced and dated."""

from __future__ import annotations

import csv

import pytest
import yaml

from cost import energy
from cost.catalog import Offer, get_catalog


def offer(
    cloud="aws", region="us-east-1", accelerator="H100", count=8, vcpus=192, mem=2048
) -> Offer:
    return Offer(cloud, region, "x", accelerator, count, 80, vcpus, mem, 10.0, 3.0, "test", "2026")


def test_p5_hand_computed():
    # 8 x 700 W x 0.8 + 192 vCPU x (0.74 + 0.5 x (3.5 - 0.74)) W + 2048 GB x 0.392 W
    watts = 8 * 700 * 0.8 + 192 * (0.74 + 0.5 * 2.76) + 2048 * 0.392
    est = energy.estimate(offer(), hours=10, nodes=2)
    assert est.kwh == pytest.approx(watts * 10 * 2 * 1.135 / 1000)
    # us-east-1 is in Virginia: EPA eGRID 2023 state rate, 539.599 lbs/MWh
    assert est.kg_co2e == pytest.approx(est.kwh * 539.599 * 0.45359237 / 1000, rel=1e-3)
    names = [f.name for f in est.factors]
    assert "H100 board power" in names and "aws PUE" in names
    assert any(n.startswith("grid intensity us-east-1 (Virginia)") for n in names)


def test_gcp_uses_googles_published_region_intensity():
    est = energy.estimate(offer("gcp", "us-central1", "A100", 8, 96, 680), hours=1)
    watts = 8 * 400 * 0.8 + 96 * (0.71 + 0.5 * (4.26 - 0.71)) + 680 * 0.392
    assert est.kwh == pytest.approx(watts * 1.10 / 1000)
    assert est.kg_co2e == pytest.approx(est.kwh * 430 / 1000)


def test_cleaner_region_emits_less_for_the_same_work():
    dirty = energy.estimate(offer("gcp", "us-central1", "A100", 8, 96, 680), hours=5)
    clean = energy.estimate(offer("gcp", "europe-north1", "A100", 8, 96, 680), hours=5)
    assert clean.kwh == dirty.kwh and clean.kg_co2e < dirty.kg_co2e / 5


def test_unpublished_power_is_not_estimated_not_zero():
    est = energy.estimate(offer("gcp", "us-central1", "TPU-v5e", 4, 112, 192), hours=3)
    assert est.kwh is None and est.kg_co2e is None
    assert est.not_estimated == "no published board power for TPU-v5e"


def test_unknown_region_gives_energy_but_no_carbon():
    est = energy.estimate(offer("aws", "me-south-1"), hours=1)
    assert est.kwh and est.kg_co2e is None
    assert est.not_estimated == "no grid intensity for aws me-south-1"


def test_every_factor_has_a_source_and_date():
    data = yaml.safe_load((energy.DATA / "energy.yaml").read_text())
    for name, rec in data["accelerator_power_w"].items():
        assert rec["source"] and rec["date"] and rec["value"] > 0, name
    for rec in data["pue"].values():
        assert rec["source"] and rec["date"] and 1.0 < rec["value"] < 2.0
    with (energy.DATA / "grid_intensity.csv").open() as f:
        rows = list(csv.DictReader(f))
    assert rows and all(r["source"] and r["date"] and float(r["g_co2e_per_kwh"]) >= 0 for r in rows)


def test_every_catalog_region_with_gpus_has_an_intensity():
    """The regions of the shipped stacks and the catalog's main regions are all mapped."""
    missing = sorted(
        {
            (o.cloud, o.region)
            for o in get_catalog().offers
            if energy.grid_intensity(o.cloud, o.region) is None
        }
    )
    assert not [m for m in missing if m[0] in ("aws", "azure")], missing
