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
    # besides the cloud's own: Kubernetes objects, and the IAM-propagation wait (time:)
    neutral = ("kubernetes:", "time:", "docker-build:")
    assert all(r.type.startswith((package, *neutral)) for r in custom)
    assert any(r.type.startswith(package) for r in custom)
    assert run.outputs["cloud"] == cloud
    assert platform.parent == "urn:pulumi:test::pioneer::pulumi:pulumi:Stack::pioneer-test"


def test_plan_works_from_a_copied_stack_file_in_another_directory(tmp_path: Path):
    copy = tmp_path / "Pulumi.mine.yaml"
    shutil.copy(STACKS_DIR / "Pulumi.aws-dev.yaml", copy)
    result = plan(str(copy), "--json")
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["steps"][0]["urn"].startswith("urn:pulumi:mine::pioneer::")


def test_a_version_in_extended_support_is_a_warning_in_the_plan_and_priced(tmp_path: Path):
    stack = tmp_path / "Pulumi.old.yaml"  # judged on tests/conftest.py's TEST_TODAY, 2026-12-01
    stack.write_text(
        (STACKS_DIR / "Pulumi.aws-dev.yaml")
        .read_text()
        .replace('kubernetes_version: "1.35"', 'kubernetes_version: "1.33"')
    )
    result = plan(str(stack))
    assert result.exit_code == 0, result.output
    text = " ".join(result.stdout.split())  # rich wraps long lines
    assert (
        "warning: cluster.kubernetes_version: EKS 1.33 is in extended support since 2026-07-29"
        in text
    )
    assert "policy: 0 mandatory" in text


@pytest.mark.parametrize("stack", ["aws-dev", "gcp-dev", "azure-dev"])
def test_plan_tree_never_splits_a_type_or_a_name_at_80_columns(stack):
    """#19.15: piped output is 80 columns; tokens wrap between words, never inside one."""
    from rich.console import Console

    from stacks.cli.plan import display_type, render_tree
    from tests.conftest import shipped_plan

    console = Console(width=80, record=True, color_system=None)
    plan = shipped_plan(stack)
    console.print(render_tree(plan))
    words = set(console.export_text().split())
    for r in plan.run.resources:
        assert display_type(r.type) in words and r.name in words, (r.type, r.name)
    assert display_type("aws:s3/bucketPolicy:BucketPolicy") == "aws:s3:BucketPolicy"
    assert display_type("pioneer:aws:DataBucket") == "pioneer:aws:DataBucket"
    assert display_type("kubernetes:core/v1:Namespace") == "kubernetes:core/v1:Namespace"
