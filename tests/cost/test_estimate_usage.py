"""Usage files: where they are found, how keys match resources, what is rejected."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from cost.usage import DEFAULTS, UsageError, load_usage, parse_usage
from stacks.cli import app


def test_stack_usage_file_next_to_the_config_else_defaults(tmp_path: Path):
    (tmp_path / "usage.lab.yaml").write_text("resources:\n  gpu: {nodes: 2, hours: 5}\n")
    found = load_usage(stack="lab", directory=tmp_path)
    assert found.for_resource("lab-cluster-gpu-ng") == {"nodes": 2.0, "hours": 5.0}
    missing = load_usage(stack="other", directory=tmp_path)
    assert missing.source == "defaults" and missing.resources == {}
    with pytest.raises(FileNotFoundError, match="no usage file"):
        load_usage(tmp_path / "nope.yaml")


def test_keys_match_whole_dash_separated_parts_longest_first():
    u = parse_usage(
        {
            "resources": {
                "train": {"nodes": 1},
                "train-h100": {"nodes": 3},
                "data": {"storage_gb": 7},
            }
        }
    )
    assert u.for_resource("mlp-cluster-train-h100-ng")["nodes"] == 3
    assert u.for_resource("mlp-train-a100")["nodes"] == 1
    assert u.for_resource("mlp-database") == {}  # "data" is not a whole part of "database"
    assert u.value("mlp-database", "storage_gb") == (DEFAULTS["storage_gb"], False)
    assert u.value("mlp-data-bucket", "storage_gb") == (7.0, True)


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ([1, 2], "expected a mapping"),
        ({"hours": 3}, "unknown key"),
        ({"hours_per_month": 800}, "hours_per_month: 800 is out of range"),
        ({"resources": {"p": {"hours": -1}}}, r"resources\.p\.hours: -1 is out of range"),
        ({"resources": {"p": 5}}, r"resources\.p: expected a mapping"),
    ],
)
def test_bad_usage_is_rejected_naming_the_field(doc, message):
    with pytest.raises(UsageError, match=message):
        parse_usage(doc)


def test_usage_key_matching_no_resource_is_an_error_listing_the_names(tmp_path):
    """`train-h10` for `train-h100` used to price the pool at its defaults without a word."""
    usage = tmp_path / "usage.yaml"
    usage.write_text("resources:\n  train-h10:\n    nodes: 1\n")
    preview = Path(__file__).parent / "fixtures" / "gcp-preview.json"
    r = CliRunner().invoke(app, ["cost", "--preview-json", str(preview), "--usage", str(usage)])
    assert r.exit_code == 2, r.output
    assert "train-h10 match(es) no resource" in r.output and "resources:" in r.output


def test_usage_nodes_outside_the_pool_limits_is_an_error(shipped_spec):
    from cost.estimate import estimate_spec
    from cost.usage import UsageError, parse_usage

    spec = shipped_spec("aws-dev")
    pool = next(p for p in spec.node_pools if p.accelerator)
    with pytest.raises(UsageError, match=rf"resources.{pool.name}.nodes: 100 is outside"):
        estimate_spec(spec, parse_usage({"resources": {pool.name: {"nodes": 100}}}))
    ok = estimate_spec(spec, parse_usage({"resources": {pool.name: {"nodes": pool.max_nodes}}}))
    assert ok["pools"][pool.name]["nodes"] == pool.max_nodes
