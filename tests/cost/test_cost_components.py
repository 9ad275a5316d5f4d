"""`pioneer cost azure-dev`: one subtotal row per platform component (issue #15)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from stacks.cli import app


def test_cost_azure_dev_has_one_subtotal_row_per_component():
    r = CliRunner().invoke(app, ["cost", "azure-dev", "--json"], env={"COLUMNS": "200"})
    assert r.exit_code == 0, r.output
    rows = [c["component"] for c in json.loads(r.stdout)["components"]]
    # No single `pioneer:azure:Platform` row holding every resource: each part is its own row.
    assert not any(name.startswith("pioneer:azure:Platform") for name in rows)
    for part in ("Network", "KeyVault", "Storage", "Registry", "Cluster", "MachineLearning"):
        assert any(name.startswith(f"pioneer:azure:{part} ") for name in rows), (part, rows)
    assert len(rows) >= 8
