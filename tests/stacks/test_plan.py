"""`pioneer plan`: the offline preview of each stack, its JSON document and its error paths."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from stacks.cli import app
from stacks.config import STACKS_DIR, list_stacks

runner = CliRunner()


def plan(*args: str):
    return runner.invoke(app, ["plan", *args])


def test_lists_the_shipped_stacks():
    assert list_stacks() == ["aws-dev", "azure-dev", "gcp-dev"]


def test_json_document_is_shaped_like_pulumi_preview():
    result = plan("aws-dev", "--json")
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    assert set(doc) >= {"steps", "changeSummary", "outputs", "diagnostics"}
    steps = doc["steps"]
    assert doc["changeSummary"]["create"] == len(steps)
    assert all(s["op"] == "create" and s["urn"] == s["newState"]["urn"] for s in steps)
    stack = steps[0]["newState"]
    assert stack["type"] == "pulumi:pulumi:Stack"
    platform = next(
        s["newState"] for s in steps if s["newState"]["type"] == "pioneer:index:MlPlatform"
    )
    assert platform["parent"] == stack["urn"] and platform["custom"] is False
    urns = {s["urn"] for s in steps}
    for s in steps[1:]:
        assert s["newState"]["parent"] in urns, "every resource hangs off a resource of the plan"
    # Inputs as the engine receives them: camelCase keys.
    key = next(s["newState"] for s in steps if s["newState"]["type"] == "aws:kms/key:Key")
    assert key["inputs"]["enableKeyRotation"] is True
    assert doc["outputs"]["cloud"] == "aws" and doc["outputs"]["region"] == "us-east-1"


def test_outputs_look_like_the_real_cloud():
    doc = json.loads(plan("aws-dev", "--json").stdout)
    assert re.fullmatch(
        r"arn:aws:kms:us-east-1:\d{12}:key/[0-9a-f-]{36}", doc["outputs"]["kms_key_arn"]
    )
    assert re.fullmatch(r"arn:aws:s3:::[a-z0-9.-]+", doc["outputs"]["bucket_arn"])


def test_path_and_name_give_the_same_plan():
    by_name = plan("aws-dev", "--json")
    by_path = plan(str(STACKS_DIR / "Pulumi.aws-dev.yaml"), "--json")
    assert by_name.exit_code == by_path.exit_code == 0
    assert json.loads(by_name.stdout) == json.loads(by_path.stdout)


def test_invalid_accelerator_exits_non_zero_naming_the_field(tmp_path: Path):
    doc = yaml.safe_load((STACKS_DIR / "Pulumi.aws-dev.yaml").read_text())
    doc["config"]["pioneer:node_pools"][1]["accelerator"] = "H1000"
    bad = tmp_path / "Pulumi.bad.yaml"
    bad.write_text(yaml.safe_dump(doc))
    result = plan(str(bad))
    assert result.exit_code == 2
    assert "node_pools[1].accelerator: 'H1000' is not one of" in result.stderr
    assert "Traceback" not in result.output
    assert result.stdout == ""


def test_unknown_stack_lists_the_stacks():
    result = plan("nosuchstack")
    assert result.exit_code == 2
    assert "unknown stack 'nosuchstack'" in result.stderr
    for name in ("aws-dev", "gcp-dev", "azure-dev"):
        assert name in result.stderr
    assert "Traceback" not in result.output


def test_broken_yaml_is_a_clear_error(tmp_path: Path):
    bad = tmp_path / "Pulumi.broken.yaml"
    bad.write_text("config: [unclosed\n")
    result = plan(str(bad))
    assert result.exit_code == 2 and "not valid YAML" in result.stderr


def test_tree_output_has_the_summary_line():
    result = plan("aws-dev")
    assert result.exit_code == 0, result.output
    assert "pioneer:index:MlPlatform" in result.stdout
    assert re.search(r"aws-dev: \d+ to create", result.stdout)


@pytest.mark.parametrize(
    "cloud,package", [("aws", "aws:"), ("gcp", "gcp:"), ("azure", "azure-native:")]
)
def test_dispatch_builds_only_the_chosen_clouds_resources(run_spec, base_config, cloud, package):
    run = run_spec(base_config(cloud))
    platform = run.one("pioneer:index:MlPlatform")
    custom = [r for r in run.resources if r.custom and not r.type.startswith("pulumi:providers:")]
    assert custom, "the cloud module created resources"
    # Besides the cloud's own: cluster objects, and the training image build (cloud-neutral).
    neutral = ("kubernetes:", "docker-build:")
    assert all(r.type.startswith((package, *neutral)) for r in custom)
    assert run.outputs["cloud"] == cloud
    assert platform.parent == "urn:pulumi:test::pioneer::pulumi:pulumi:Stack::pioneer-test"


def test_plan_works_from_a_copied_stack_file_in_another_directory(tmp_path: Path):
    copy = tmp_path / "Pulumi.mine.yaml"
    shutil.copy(STACKS_DIR / "Pulumi.aws-dev.yaml", copy)
    result = plan(str(copy), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["steps"][0]["urn"].startswith("urn:pulumi:mine::pioneer::")
