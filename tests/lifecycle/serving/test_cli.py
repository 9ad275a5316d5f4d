"""`pioneer deploy --dry-run` on every target, `pioneer deploy --target local` and `rollback`."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from stacks.cli import app

OUTPUTS = json.loads((Path(__file__).with_name("stack_outputs.json")).read_text())
TARGET_STACK = {
    "sagemaker": "aws-dev",
    "vertex": "gcp-dev",
    "azureml": "azure-dev",
    "kubernetes": "gcp-dev",
    "local": "aws-dev",
}


@pytest.fixture
def spec_file(tmp_path):
    doc = yaml.safe_load((Path(__file__).parents[3] / "examples/serving/digits.yaml").read_text())
    doc["canary"]["bake_seconds"] = 0
    path = tmp_path / "serving.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


def _invoke(*args: str):
    return CliRunner().invoke(app, list(args), catch_exceptions=False)


@pytest.mark.parametrize("target", list(TARGET_STACK))
def test_deploy_dry_run_prints_each_targets_canary_requests(
    target, registry_store, spec_file, tmp_path
):
    _, store = registry_store
    stack = TARGET_STACK[target]
    outputs = tmp_path / "outputs.json"
    outputs.write_text(json.dumps(OUTPUTS[stack]))
    r = _invoke(
        "deploy", "--target", target, "--stack", stack, "--model", "pioneer-digits:candidate",
        "--spec", str(spec_file), "--store", str(store.root), "--outputs", str(outputs),
        "--dry-run", "--json", "--canary", "10",
    )  # fmt: skip
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert doc["model"] == "pioneer-digits:2"
    # Nothing deployed yet in this store: the candidate goes straight to 100 %.
    assert [s["weights"] for s in doc["steps"]] == [{"2": 100}]
    assert doc["steps"][0]["request"]["target"] == target


def test_deploy_local_then_canary_then_rollback_are_audited(registry_store, spec_file, tmp_path):
    _, store = registry_store
    common = ["--target", "local", "--stack", "dev", "--spec", str(spec_file)]
    common += ["--store", str(store.root), "--json"]
    first = _invoke("deploy", *common, "--model", "pioneer-digits:production")
    assert json.loads(first.stdout)["outcome"] == "deployed"
    second = json.loads(
        _invoke("deploy", *common, "--model", "pioneer-digits:2", "--canary", "20").stdout
    )
    assert [s["weights"] for s in second["steps"]] == [
        {"1": 80, "2": 20}, {"1": 50, "2": 50}, {"2": 100},
    ]  # fmt: skip
    back = _invoke("rollback", *common, "--reason", "test")
    assert back.exit_code == 0, back.output
    assert json.loads(back.stdout)["restored"] == {"1": 100}  # not a canary step
    actions = [e["action"] for e in store.audit.entries()]
    assert actions[-3:] == ["deploy", "deploy", "rollback"] and store.audit.verify().ok


def test_bad_serving_spec_and_bad_target_exit_2_with_the_field_named(tmp_path):
    bad = tmp_path / "s.yaml"
    bad.write_text("autoscaling: {min_replicas: 5, max_replicas: 2}\n")
    r = _invoke("deploy", "--target", "local", "--stack", "dev", "--spec", str(bad), "--dry-run")
    assert r.exit_code == 2 and "min_replicas 5 > max_replicas 2" in r.output
    r = _invoke("deploy", "--target", "heroku", "--stack", "dev")
    assert r.exit_code == 2 and "not one of sagemaker" in r.output
    r = _invoke("serve", "pioneer-digits")
    assert r.exit_code == 2 and "--local" in r.output


def test_an_unknown_model_is_a_clear_error(registry_store, spec_file):
    _, store = registry_store
    r = _invoke(
        "deploy", "--target", "local", "--stack", "dev", "--spec", str(spec_file),
        "--store", str(store.root), "--model", "nope:production", "--dry-run",
    )  # fmt: skip
    assert r.exit_code == 2 and "not in the registry" in r.output
