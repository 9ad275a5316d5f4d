"""The live-refresh parsers on recorded responses in each API's documented format.

Nothing here reaches the network: the fetchers get a fake `get`, and the
offline test makes `urlopen` fail the way it does without a connection.
"""

from __future__ import annotations

import json
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from cost import refresh as rf
from cost.catalog import get_catalog, load_catalog
from stacks.cli import app

REC = Path(__file__).parent / "fixtures" / "refresh"


def rec(name: str) -> dict:
    return json.loads((REC / name).read_text())


def test_azure_pages_are_followed_and_linux_consumption_prices_kept():
    pages = {None: rec("azure-retail-page1.json"), "skip": rec("azure-retail-page2.json")}
    urls: list[str] = []

    def fake_get(url: str) -> dict:
        urls.append(url)
        return pages["skip" if "$skip" in url else None]

    items = rf.fetch_azure("eastus", get=fake_get)
    assert len(urls) == 2 and "armRegionName+eq+%27eastus%27" in urls[0]
    offers = rf.azure_offers(items, get_catalog(), date="2026-11-28")
    (nd,) = [o for o in offers if o.instance_type == "Standard_ND96amsr_A100_v4"]
    # the Linux consumption price, not Windows (40.77), reservation or low priority
    assert (nd.on_demand_usd_per_hour, nd.spot_usd_per_hour) == (32.77, 3.2768)
    assert (nd.accelerator, nd.accelerator_count) == ("A100-80GB", 8)  # kept from the snapshot
    assert nd.date == "2026-11-28" and "Retail Prices API" in nd.source
    # a CPU-only type is not an accelerator offer
    assert all(o.instance_type != "Standard_D4s_v5" for o in offers)


def test_aws_price_list_and_spot_history():
    od = rf.aws_on_demand(rec("aws-get-products.json")["PriceList"])
    assert od[("us-east-1", "p5.48xlarge")] == 55.04  # Linux, shared, used capacity only
    spot = rf.aws_spot(rec("aws-spot-price-history.json")["SpotPriceHistory"])
    # latest per AZ (1a: 18.2, 1b: 17.4), then the lowest; Windows ignored
    assert spot["p5.48xlarge"] == 17.4
    offers = rf.aws_offers(od, spot, "us-east-1", get_catalog(), date="2026-11-28")
    by_type = {o.instance_type: o for o in offers}
    assert by_type["p5.48xlarge"].spot_usd_per_hour == 17.4
    # a "spot" price above on-demand is not a spot price
    assert by_type["g5.xlarge"].spot_usd_per_hour is None
    assert all(o.region == "us-east-1" for o in offers)


def test_gcp_billing_catalog_skus_build_machine_prices():
    rates = rf.gcp_rates(rec("gcp-billing-skus.json")["skus"])
    assert rates[("us-central1", "A2 core", "OnDemand")] == pytest.approx(0.031611)
    assert rates[("us-central1", "gpu:A100", "Preemptible")] == pytest.approx(1.173)
    assert not any(k[2] == "Commit1Yr" for k in rates)
    offers = rf.gcp_offers(rates, get_catalog(), "us-central1", date="2026-11-28")
    base = get_catalog().offer("gcp", "us-central1", "a2-highgpu-1g")
    (a2,) = [o for o in offers if o.instance_type == "a2-highgpu-1g"]
    assert a2.on_demand_usd_per_hour == pytest.approx(
        base.vcpus * 0.031611 + base.memory_gib * 0.004237 + 2.933908, abs=1e-6
    )
    assert a2.spot_usd_per_hour == pytest.approx(
        base.vcpus * 0.009483 + base.memory_gib * 0.001271 + 1.173, abs=1e-6
    )
    # machines whose GPU SKU is not in the response are left alone
    assert all(o.accelerator in ("A100",) for o in offers)


def test_merge_and_write_round_trip(tmp_path: Path):
    cat = get_catalog()
    od = rf.aws_on_demand(rec("aws-get-products.json")["PriceList"])
    spot = rf.aws_spot(rec("aws-spot-price-history.json")["SpotPriceHistory"])
    fresh = rf.aws_offers(od, spot, "us-east-1", cat, date="2026-11-28")
    merged = rf.merge_offers(cat.offers, fresh)
    assert len(merged) == len(cat.offers)  # replaced, not added
    for name in ("cpu_offers.csv", "spot_advisor.csv", "prices.yaml", "sagemaker_premium.csv"):
        (tmp_path / name).write_bytes((Path(rf.OFFERS_CSV).parent / name).read_bytes())
    rf.write_offers(merged, tmp_path / "offers.csv")
    again = load_catalog(tmp_path)
    p5 = again.offer("aws", "us-east-1", "p5.48xlarge")
    assert (p5.spot_usd_per_hour, p5.date) == (17.4, "2026-11-28")
    assert (
        p5.interruption_bucket == cat.offer("aws", "us-east-1", "p5.48xlarge").interruption_bucket
    )
    assert again.offer("aws", "us-west-2", "p5.48xlarge") == cat.offer(
        "aws", "us-west-2", "p5.48xlarge"
    )


def test_refresh_offline_fails_with_a_clear_message(monkeypatch, tmp_path: Path):
    def no_network(*a, **k):
        raise OSError("[Errno -3] Temporary failure in name resolution")

    monkeypatch.setattr(urllib.request, "urlopen", no_network)
    with pytest.raises(rf.RefreshError, match="needs the internet"):
        rf.refresh("azure", "eastus", out=tmp_path / "offers.csv")
    assert not (tmp_path / "offers.csv").exists()
    r = CliRunner().invoke(app, ["catalog", "refresh", "--cloud", "azure"])
    assert r.exit_code == 2 and "needs the internet" in r.output
    r = CliRunner().invoke(app, ["catalog", "refresh", "--cloud", "gcp"])
    assert r.exit_code == 2 and "API key" in r.output
