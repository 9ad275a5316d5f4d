"""Monitoring on captured digits traffic: no false alarms, each shift caught, the
data-quality, model-quality and service checks, and a retrain trigger that fires once."""

from __future__ import annotations

import json
import threading
from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from typer.testing import CliRunner

from lifecycle import capture
from lifecycle.audit import AuditLog
from lifecycle.monitoring import checks, shifts
from lifecycle.monitoring.baseline import digits_baseline, load
from lifecycle.monitoring.spec import MonitoringSpec, MonitorSpecError
from lifecycle.monitoring.traffic import collect
from lifecycle.monitoring.trigger import trigger
from lifecycle.store import Store
from stacks.cli import app

runner = CliRunner()
SPEC = MonitoringSpec.parse({})


@pytest.fixture(scope="module")
def base():
    return digits_baseline()


@pytest.fixture(scope="module")
def predict(base):
    return shifts.predictor(base)


def _traffic(docs):
    return collect((capture.parse(d) for d in docs), 64)


def _docs(base, predict, shift, n, seed, start=0):
    X, y = shifts.draw(base, shift, n, np.random.default_rng(seed))
    return shifts.records(X, predict(X), start=start), y


def _write(path, docs):
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    return path


def test_no_false_alarm_on_held_out_data_over_many_seeds(base, predict):
    breaches = []
    for seed in range(20):
        docs, _ = _docs(base, predict, "none", SPEC.window, seed)
        result = checks.run(SPEC, base, _traffic(docs))
        assert result.check("feature_drift").status == "ok"
        breaches += result.breaches
    assert breaches == []  # false-positive rate 0/20 windows (benchmarks/drift.py: more seeds)


@pytest.mark.parametrize("shift", ["rotate", "noise", "brightness", "prior"])
def test_each_injected_shift_is_detected_after_it_begins(base, predict, shift):
    clean, _ = _docs(base, predict, "none", 200, seed=1)
    drifted, _ = _docs(base, predict, shift, 200, seed=2, start=200)
    found = shifts.detect(SPEC, base, clean + drifted, onset=200, step=20, shift=shift)
    assert found.delay is not None, f"{shift} not detected"
    assert 0 < found.delay <= 200  # not before the shift began, and within one window
    assert set(found.checks) <= {"feature_drift", "prediction_drift"}


def test_a_prior_shift_shows_in_the_predictions_not_the_pixels(base, predict):
    docs, _ = _docs(base, predict, "prior", 200, seed=3)
    result = checks.run(SPEC, base, _traffic(docs))
    assert result.check("prediction_drift").status == "breach"
    assert result.exit_code == 3


def test_malformed_capture_is_a_data_quality_breach(base, predict, tmp_path):
    docs, _ = _docs(base, predict, "none", 60, seed=4)
    good = json.loads(docs[0]["captureData"]["endpointInput"]["data"])["instances"][0]
    bad = [
        capture.record({"instances": [good[:10]]}, {"predictions": [1]}),  # wrong width
        capture.record({"instances": [["x"] * 64]}, {"predictions": [1]}),  # not numbers
        capture.record({"instances": [[None] + good[1:]]}, {"predictions": [1]}),  # missing
        capture.record({"instances": [[7.0] + good[1:]]}, {"predictions": [1]}),  # out of range
    ]
    result = checks.run(SPEC, base, _traffic(docs + bad))
    dq = result.check("data_quality")
    assert dq.status == "breach" and result.exit_code == 4
    assert dq.detail["shares"]["schema_error_share"] == pytest.approx(2 / 64)
    assert dq.detail["shares"]["missing_share"] == pytest.approx(1 / (62 * 64))
    assert dq.detail["shares"]["out_of_range_share"] == pytest.approx(1 / (62 * 64))
    assert checks.run(SPEC, base, _traffic(docs)).check("data_quality").status == "ok"


def test_model_quality_is_computed_when_labels_are_joined(base, predict):
    docs, y = _docs(base, predict, "none", 100, seed=5)
    t = _traffic(docs)
    truth = {rid: int(label) for rid, label in zip(t.ids, y, strict=True)}
    ok = checks.run(SPEC, base, t, truth).check("model_quality")
    assert ok.status == "ok"
    assert ok.value == pytest.approx(np.mean(t.pred == y), abs=1e-4)
    assert ok.detail["labelled"] == 100
    wrong = {rid: (label + 1) % 10 for rid, label in truth.items()}  # labels say it is wrong
    bad = checks.run(SPEC, base, t, wrong).check("model_quality")
    assert bad.status == "breach" and bad.value < 0.1
    few = dict(list(truth.items())[:5])
    assert checks.run(SPEC, base, t, few).check("model_quality").status == "skipped"


def test_latency_and_error_rate(base, predict):
    docs, _ = _docs(base, predict, "none", 100, seed=6)
    for i, d in enumerate(docs):
        d["eventMetadata"]["pioneer"].update(latency_ms=20 + i % 10, status=200)
    assert checks.run(SPEC, base, _traffic(docs)).check("service").status == "ok"
    for d in docs[:5]:
        d["eventMetadata"]["pioneer"]["status"] = 500
    for d in docs[5:20]:
        d["eventMetadata"]["pioneer"]["latency_ms"] = 900
    result = checks.run(SPEC, base, _traffic(docs))
    svc = result.check("service")
    assert svc.status == "breach" and result.exit_code == 6
    assert svc.detail["error_rate"] == pytest.approx(0.05)
    assert svc.detail["p95_latency_ms"] == pytest.approx(900)


def test_retrain_starts_exactly_once_per_breach(tmp_path):
    started: list[str] = []
    state = tmp_path / "state.json"
    audit = AuditLog(tmp_path / "audit.jsonl")
    t0 = datetime(2026, 12, 1, tzinfo=UTC)

    def observe(breached, minutes):
        return trigger(
            tmp_path / "pipeline.yaml",
            breached=breached,
            state_path=state,
            cooldown=timedelta(minutes=60),
            start=lambda p: started.append(str(p)) or f"run{len(started)}",
            audit=audit,
            now=t0 + timedelta(minutes=minutes),
        )

    assert [observe(True, m).started for m in range(0, 50, 10)] == [True] + [False] * 4
    assert observe(False, 55).started is False  # the breach ends
    assert observe(True, 58).started is False  # a new breach, but inside the cooldown
    assert observe(True, 61).started is True  # cooldown over: the new breach retrains
    assert observe(True, 70).started is False
    assert len(started) == 2
    assert [e["action"] for e in audit.entries()] == ["retrain", "retrain"]
    assert audit.verify().ok


def test_overlapping_monitor_runs_start_one_retrain(tmp_path):
    started: list[int] = []
    lock = threading.Lock()

    def start(_path):
        with lock:
            started.append(1)
        return "run"

    def observe():
        trigger(
            tmp_path / "p.yaml",
            breached=True,
            state_path=tmp_path / "state.json",
            cooldown=timedelta(0),
            start=start,
        )

    threads = [threading.Thread(target=observe) for _ in range(8)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    assert len(started) == 1


def test_spec_errors_name_the_field():
    with pytest.raises(MonitorSpecError) as e:
        MonitoringSpec.parse({"window": 5, "checks": {"feature_drift": {"treshold": 0.1}}})
    assert "window: Input should be greater than or equal to 20" in str(e.value)
    assert "checks.feature_drift.treshold: unknown setting" in str(e.value)
    with pytest.raises(MonitorSpecError, match="needs on_breach.pipeline"):
        MonitoringSpec.parse({"on_breach": {"action": "retrain"}})


@pytest.fixture(scope="module")
def captures(base, predict, tmp_path_factory):
    d = tmp_path_factory.mktemp("captures")
    clean, _ = _docs(base, predict, "none", 200, seed=7)
    drifted, _ = _docs(base, predict, "rotate", 200, seed=8)
    base.save(d / "baseline.npz")
    return d, _write(d / "clean.jsonl", clean), _write(d / "drift.jsonl", drifted)


def test_cli_run_passes_clean_traffic_and_flags_drift_with_a_report(captures, tmp_path):
    d, clean, drift = captures
    common = ["--baseline", str(d / "baseline.npz"), "--store", str(tmp_path), "--json"]
    ok = runner.invoke(app, ["monitor", "run", "--capture", str(clean), *common])
    assert ok.exit_code == 0, ok.output
    assert json.loads(ok.stdout)["breaches"] == []
    report = tmp_path / "report.html"
    bad = runner.invoke(
        app, ["monitor", "run", "--capture", str(drift), *common, "--report", str(report)]
    )
    assert bad.exit_code == 3
    doc = json.loads(bad.stdout)
    assert "feature_drift" in doc["breaches"]
    page = report.read_text()
    assert page.count("<img src='data:image/png;base64,") == 3 and "BREACH" in page
    assert [e["action"] for e in AuditLog(tmp_path / "audit.jsonl").entries()] == ["alert"]


def test_cli_breach_starts_the_pipeline_once(captures, tmp_path, monkeypatch):
    d, _clean, drift = captures
    started: list[str] = []
    monkeypatch.setattr("stacks.cli.monitor.start_pipeline", lambda p: started.append(p) or "x")
    spec = tmp_path / "monitoring.yaml"
    spec.write_text("monitoring:\n  on_breach:\n    action: retrain\n    pipeline: p.yaml\n")
    args = [
        "monitor",
        "run",
        "--capture",
        str(drift),
        "--baseline",
        str(d / "baseline.npz"),
        "--spec",
        str(spec),
        "--store",
        str(tmp_path),
        "--json",
    ]
    first, second = runner.invoke(app, args), runner.invoke(app, args)
    assert (first.exit_code, second.exit_code) == (3, 3)
    assert json.loads(first.stdout)["retrain"]["started"] is True
    assert json.loads(second.stdout)["retrain"]["started"] is False
    assert len(started) == 1


def test_cli_bad_input_is_one_message_and_exit_2(captures, tmp_path):
    d, clean, _drift = captures
    spec = tmp_path / "bad.yaml"
    spec.write_text("monitoring:\n  schedule: weekly\n")
    r = runner.invoke(
        app,
        [
            "monitor",
            "run",
            "--capture",
            str(clean),
            "--baseline",
            str(d / "baseline.npz"),
            "--spec",
            str(spec),
        ],
    )
    assert r.exit_code == 2 and "schedule" in r.output and "Traceback" not in r.output
    r = runner.invoke(
        app,
        [
            "monitor",
            "run",
            "--capture",
            str(tmp_path / "none.jsonl"),
            "--baseline",
            str(d / "baseline.npz"),
        ],
    )
    assert r.exit_code == 2 and "--capture" in r.output
    r = runner.invoke(
        app, ["monitor", "simulate", "--out", str(tmp_path / "x.jsonl"), "--shift", "sideways"]
    )
    assert r.exit_code == 2 and "sideways" in r.output and not (tmp_path / "x.jsonl").exists()


def test_cli_simulate_writes_a_capture_and_reports_the_delay(captures, tmp_path):
    d, _clean, _drift = captures
    out = tmp_path / "sim.jsonl"
    r = runner.invoke(
        app,
        [
            "monitor",
            "simulate",
            "--out",
            str(out),
            "--shift",
            "brightness",
            "--clean",
            "200",
            "--drifted",
            "100",
            "--baseline",
            str(d / "baseline.npz"),
            "--json",
        ],
    )
    assert r.exit_code == 0, r.output
    doc = json.loads(r.stdout)
    assert 0 < doc["delay_requests"] <= 100
    assert sum(1 for _ in capture.read(out)) == 300


def test_cli_finds_the_registered_baseline_by_model_version(captures, tmp_path):
    d, clean, _drift = captures
    store = Store(tmp_path)
    load(d / "baseline.npz").save(store.baseline_path("digits", 3))
    args = ["monitor", "run", "--capture", str(clean), "--store", str(tmp_path), "--json"]
    r = runner.invoke(app, [*args, "--baseline", "digits:3"])
    assert r.exit_code == 0, r.output
    assert json.loads(r.stdout)["baseline"] == str(store.baseline_path("digits", 3))
    missing = runner.invoke(app, [*args, "--baseline", "digits:4"])
    assert missing.exit_code == 2 and "does not exist" in missing.output
