"""Usage files: where they are found, how keys match resources, what is rejected."""

from __future__ import annotations

from pathlib import Path

import pytest

from cost.usage import DEFAULTS, UsageError, load_usage, parse_usage


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
