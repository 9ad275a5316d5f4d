"""`pioneer cost` and `pioneer catalog show` on the command line (no Pulumi run needed for most)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from stacks.cli import app

FIXTURES = Path(__file__).parent / "fixtures"
runner = CliRunner()


def run(*args: str):
    return runner.invoke(app, list(args), env={"COLUMNS": "200"})


def test_cost_preview_json_prints_one_json_document():
    r = run("cost", "--preview-json", str(FIXTURES / "gcp-preview.json"), "--json")
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["cloud"] == "gcp" and doc["monthly_usd"] > 0
    assert {ln["status"] for ln in doc["lines"]} <= {
        "priced",
        "partly_priced",
        "free",
        "not_priced",
    }


def test_cost_table_shows_total_sources_and_not_priced(monkeypatch):
    # A wide terminal: at 80 columns the source column is the first one given up (#19.15).
    # The console reads COLUMNS once, when it is created (an earlier test may have made it).
    from stacks.cli import common

    monkeypatch.setattr(common.console, "width", 200)
    r = run("cost", "--preview-json", str(FIXTURES / "aws-preview.json"))
    assert r.exit_code == 0, r.output
    assert "NOT PRICED" in r.stdout and "p9.96xlarge" in r.stdout
    assert "subtotals per component" in r.stdout
    assert "aws.amazon.com/eks/pricing/" in r.stdout  # the source of the control-plane fee


def test_cost_markdown_and_compare(tmp_path: Path):
    usage = tmp_path / "usage.yaml"
    usage.write_text("resources:\n  gpu-h100: {nodes: 1, hours: 10}\n")
    md = run("cost", "--preview-json", str(FIXTURES / "aws-preview.json"), "--markdown")
    assert md.exit_code == 0 and md.stdout.startswith("### ")
    cmp = run(
        "cost",
        "--compare",
        str(FIXTURES / "aws-preview.json"),
        str(FIXTURES / "azure-preview.json"),
        "--json",
    )
    assert cmp.exit_code == 0, cmp.output
    doc = json.loads(cmp.stdout)
    assert doc["compare"]["diff_usd"] == pytest.approx(
        doc["b"]["monthly_usd"] - doc["a"]["monthly_usd"], abs=0.01
    )
    with_usage = run(
        "cost",
        "--preview-json",
        str(FIXTURES / "aws-preview.json"),
        "--usage",
        str(usage),
        "--json",
    )
    base = json.loads(
        run("cost", "--preview-json", str(FIXTURES / "aws-preview.json"), "--json").stdout
    )
    assert json.loads(with_usage.stdout)["monthly_usd"] == pytest.approx(
        base["monthly_usd"] + 10 * 16.9508, abs=0.01
    )


def test_cost_user_errors_exit_2_without_traceback(tmp_path: Path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"resources": []}')
    r = run("cost", "--preview-json", str(bad))
    assert r.exit_code == 2 and "steps" in r.output and "Traceback" not in r.output
    usage = tmp_path / "u.yaml"
    usage.write_text("resources:\n  data: {gb: 3}\n")
    r = run("cost", "--preview-json", str(FIXTURES / "aws-preview.json"), "--usage", str(usage))
    assert r.exit_code == 2 and "unknown key(s) gb" in r.output


def test_catalog_show_cheapest_first_and_json():
    r = run(
        "catalog",
        "show",
        "--accelerator",
        "H100",
        "--count",
        "8",
        "--spot",
        "--json",
        "--limit",
        "0",
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    prices = [o["spot_usd_per_hour"] for o in doc["offers"] if o["spot_usd_per_hour"]]
    assert prices == sorted(prices) and len(prices) > 5
    assert all(o["accelerator"] == "H100" for o in doc["offers"])
    aws = [o for o in doc["offers"] if o["cloud"] == "aws"]
    assert any(o["interruption_bucket"] is not None for o in aws)
    bad = run("catalog", "show", "--cloud", "oracle")
    assert bad.exit_code == 2 and "aws, gcp, azure" in bad.output


def test_catalog_show_services_lists_sourced_prices():
    r = run("catalog", "show", "--services", "--cloud", "azure", "--json")
    doc = json.loads(r.stdout)
    keys = {p["key"] for p in doc}
    assert {"aks_standard_tier_hour", "acr_premium_day", "azureml_premium_ratio"} <= keys
    assert all(p["source"] and p["date"] for p in doc)
