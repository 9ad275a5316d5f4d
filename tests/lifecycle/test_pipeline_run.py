"""The pipeline end to end on this machine: one real (small) training run, shared by the tests."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
import yaml
from typer.testing import CliRunner

from lifecycle.digest import file_sha256
from lifecycle.pipeline.data import sklearn_digits_path
from lifecycle.pipeline.run import PipelineFailed, run
from lifecycle.pipeline.spec import PipelineSpec
from lifecycle.registry import Registry
from lifecycle.store import Store
from stacks.cli import app

REPO = Path(__file__).resolve().parents[2]
STEPS_SMALL = "40"  # enough for >90% held-out accuracy, a few seconds on one CPU


def small_spec(**changes) -> PipelineSpec:
    doc = yaml.safe_load((REPO / "pipelines" / "digits.yaml").read_text())
    doc["training"]["args"] = ["--model", "digits", "--max-steps", STEPS_SMALL, "--no-energy"]
    doc["evaluation"]["latency_samples"] = 20
    doc["gates"]["min"] = {"accuracy": 0.8}
    for path, value in changes.items():
        *parents, leaf = path.split(".")
        node = doc
        for p in parents:
            node = node[p]
        node[leaf] = value
    return PipelineSpec.parse(doc)


@pytest.fixture(scope="module")
def first(tmp_path_factory):
    store = Store(tmp_path_factory.mktemp("store"))
    result = run(small_spec(), store, REPO / "pipelines")
    return store, result


def cli(*args: str):
    return CliRunner().invoke(app, list(args))


def test_a_run_trains_evaluates_gates_registers_and_promotes(first):
    store, result = first
    assert [s.status for s in result.steps] == ["ran"] * 6
    assert result.version == 1 and result.production == 1
    reg = Registry(store.tracking_uri)
    assert reg.alias_version("digits", "candidate") == 1
    assert reg.alias_version("digits", "production") == 1
    assert result.gate is not None and result.gate["passed"]
    assert [e["action"] for e in store.audit.entries()] == ["register", "promote"]


def test_lineage_links_every_hash(first):
    store, result = first
    rec = json.loads(store.lineage_path("digits", 1).read_text())
    assert rec["dataset"]["digest"] == file_sha256(sklearn_digits_path())
    assert rec["package_lock_sha256"] == file_sha256(REPO / "constraints.txt")
    assert len(rec["code"]["commit"]) == 40 and isinstance(rec["code"]["dirty"], bool)
    steps = {s.name: s for s in result.steps}
    for name in ("validate", "train", "evaluate"):
        assert rec["steps"][name] == {"key": steps[name].key, "outputs": steps[name].outputs_digest}
    # the registered weights are the trained weights, and MLflow carries the same hash
    train_out = json.loads(
        (store.cache_dir / "train" / steps["train"].key / "outputs.json").read_text()
    )
    assert rec["weights_sha256"] == train_out["weights_sha256"]
    mv = Registry(store.tracking_uri).resolve("digits:1")
    assert mv.tags["pioneer.weights_sha256"] == rec["weights_sha256"]
    assert mv.tags["pioneer.dataset_sha256"] == rec["dataset"]["digest"]
    assert rec["training"]["config"]["max_steps"] == int(STEPS_SMALL)
    assert rec["baseline"]["digest"] == file_sha256(store.baseline_path("digits", 1))
    out = cli("lineage", "digits:1", "--store", str(store.root), "--json")
    assert out.exit_code == 0, out.output
    doc = json.loads(out.stdout)
    assert doc["weights_sha256"] == rec["weights_sha256"]
    assert [h["action"] for h in doc["history"]] == ["register", "promote"]


def test_registration_writes_card_and_monitoring_baseline(first):
    store, _ = first
    base = np.load(store.baseline_path("digits", 1))
    assert base["X"].shape[1] == 64 and len(base["X"]) == len(base["y"])
    assert len(base["eval_pred"]) == len(base["eval_y"]) == len(base["eval_X"])
    card = json.loads(store.card_path("digits", 1, ".json").read_text())
    assert set(card["metrics_by_class"]) == {str(c) for c in range(10)}
    md = store.card_path("digits", 1, ".md").read_text()
    assert "## Intended use" in md and "| 9 |" in md and "## Energy and carbon" in md


def test_a_rerun_with_unchanged_inputs_hits_the_cache(first):
    store, _ = first
    again = run(small_spec(), store, REPO / "pipelines")
    status = {s.name: s.status for s in again.steps}
    assert status["validate"] == status["train"] == status["evaluate"] == "cached"
    assert again.version == 1  # same weights: no new version
    assert len(Registry(store.tracking_uri).client.search_model_versions("name = 'digits'")) == 1


def test_a_failing_gate_keeps_production_where_it_was(first):
    store, _ = first
    strict = small_spec(**{"gates.min": {"accuracy": 1.0}})  # same training: cached
    with pytest.raises(PipelineFailed) as err:
        run(strict, store, REPO / "pipelines")
    assert err.value.step == "gate"
    assert [s.status for s in err.value.result.steps][-2:] == ["skipped", "skipped"]
    assert Registry(store.tracking_uri).alias_version("digits", "production") == 1
    last = store.audit.entries()[-1]
    assert last["action"] == "reject" and "accuracy >= 1.0" in last["reason"]


def test_tampering_with_the_audit_log_is_detected(first, tmp_path):
    store, _ = first
    assert cli("audit", "verify", "--store", str(store.root)).exit_code == 0
    copy = Store(tmp_path)
    lines = store.audit.path.read_text().splitlines()
    doc = json.loads(lines[0])
    doc["actor"] = "someone-else"
    copy.audit.path.write_text("\n".join([json.dumps(doc), *lines[1:]]) + "\n")
    copy.audit.head_path.write_text(store.audit.head_path.read_text())
    out = cli("audit", "verify", "--store", str(tmp_path), "--json")
    assert out.exit_code == 1
    assert any("entry 0" in p for p in json.loads(out.stdout)["problems"])


def test_a_failing_data_check_stops_before_training(tmp_path):
    bad = tmp_path / "digits-bad.csv"
    rows = np.loadtxt(sklearn_digits_path(), delimiter=",")[:300]
    rows[5, 3] = 99  # out of range
    rows[:, -1] = np.where(rows[:, -1] == 7, 1, rows[:, -1])  # class 7 vanishes
    np.savetxt(bad, rows, delimiter=",", fmt="%g")
    store = Store(tmp_path / "store")
    with pytest.raises(PipelineFailed) as err:
        run(small_spec(**{"dataset.location": str(bad)}), store, tmp_path)
    assert err.value.step == "validate"
    assert [s.status for s in err.value.result.steps][1:] == ["skipped"] * 5
    assert not (store.cache_dir / "train").exists()
    msg = str(err.value)
    assert "f3" in msg and "in_range" in msg and "label" in msg and "every class" in msg
