"""Canary steps, the rollback rule on a simulated error rate, and the audit trail."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from lifecycle import capture
from lifecycle.audit import AuditLog
from lifecycle.serving.rollout import (
    DeploymentState,
    WindowStats,
    breach,
    rollback,
    rollout,
    window_stats,
)
from lifecycle.serving.spec import Rollback

RULE = Rollback(metric="error_rate", threshold=0.05, window_seconds=300, min_requests=20)


def _captures(version: int, n: int, errors: int, latency_ms: float = 5.0) -> list[capture.Captured]:
    now = datetime.now(UTC)
    docs = [
        capture.record(
            {"inputs": [[0.0] * 64]},
            None if i < errors else {"predictions": [0]},
            meta={
                "version": version,
                "status": 500 if i < errors else 200,
                "latency_ms": latency_ms,
            },
            time=now,
        )
        for i in range(n)
    ]
    return [capture.parse(d) for d in docs]


def _run(tmp_path, observed: dict[int, WindowStats]):
    state = DeploymentState("digits-local", "local", "pioneer-digits", {1: 100})
    applied: list[dict[int, int]] = []
    audit = AuditLog(tmp_path / "audit.jsonl")
    result = rollout(
        state,
        2,
        [10, 50, 100],
        RULE,
        0,
        applied.append,
        lambda v, since: observed[len(applied)],
        audit,
        lambda s: s.save(tmp_path / "state.json"),
        sleep=lambda s: None,
    )
    return result, applied, audit, state


def test_a_canary_breaching_the_error_rate_rolls_back_and_is_audited(tmp_path):
    # 10 % step healthy, then 8 of 50 requests fail at the 50 % step (16 % > 5 %).
    healthy = window_stats(_captures(2, 40, 0), 2, datetime.now(UTC) - timedelta(minutes=5))
    failing = window_stats(_captures(2, 50, 8), 2, datetime.now(UTC) - timedelta(minutes=5))
    result, applied, audit, state = _run(tmp_path, {1: healthy, 2: failing})
    assert result.outcome == "rolled_back" and "16.0%" in (result.reason or "")
    assert applied == [{1: 90, 2: 10}, {1: 50, 2: 50}, {1: 100}]
    assert state.weights == {1: 100}
    last = audit.entries()[-1]
    assert last["action"] == "rollback" and last["subject"] == "pioneer-digits:2"
    assert last["details"]["restored"] == 1 and audit.verify().ok
    assert DeploymentState.load(tmp_path / "state.json", "", "", "").weights == {1: 100}


def test_a_healthy_canary_reaches_full_traffic_and_logs_a_deploy(tmp_path):
    healthy = window_stats(_captures(2, 40, 1), 2, datetime.now(UTC) - timedelta(minutes=5))
    result, applied, audit, state = _run(tmp_path, {1: healthy, 2: healthy, 3: healthy})
    assert result.outcome == "deployed" and applied[-1] == {2: 100}
    assert audit.entries()[-1]["action"] == "deploy" and state.history[-1] == {1: 50, 2: 50}


def test_too_few_requests_decide_nothing_and_client_errors_do_not_count():
    assert breach(RULE, WindowStats(10, 10, 1.0)) is None
    records = _captures(2, 30, 0)
    bad_input = capture.parse(capture.record("x", None, meta={"version": 2, "status": 422}))
    stats = window_stats([*records, bad_input], 2, datetime.now(UTC) - timedelta(minutes=1))
    assert (stats.requests, stats.errors) == (30, 0)


def test_p99_latency_rule():
    rule = Rollback(metric="p99_latency_ms", threshold=50, min_requests=20)
    slow = window_stats(_captures(3, 30, 0, latency_ms=80), 3, datetime.now(UTC) - timedelta(1))
    assert breach(rule, slow) == "p99 latency 80.0 ms > 50 ms"


def test_manual_rollback_restores_the_previous_split(tmp_path):
    state = DeploymentState("e", "local", "pioneer-digits")
    state.apply({1: 100})
    state.apply({2: 100})
    audit = AuditLog(tmp_path / "a.jsonl")
    restored, entry = rollback(state, lambda w: None, audit, lambda s: None, "bad answers")
    assert restored == {1: 100} and state.weights == {1: 100}
    assert entry["action"] == "rollback" and entry["reason"] == "bad answers"


def test_manual_rollback_skips_canary_steps_back_to_the_previous_version(tmp_path):
    state = DeploymentState("e", "local", "pioneer-digits")
    for w in ({1: 100}, {1: 90, 2: 10}, {1: 50, 2: 50}, {2: 100}):
        state.apply(w)
    restored, _ = rollback(
        state, lambda w: None, AuditLog(tmp_path / "a.jsonl"), lambda s: None, "r"
    )
    assert restored == {1: 100}
