"""Canary rollout with automatic rollback, and `pioneer rollback`.

A rollout moves traffic to the new version in the spec's steps (10 → 50 → 100).
After each step it waits the bake time, then judges the new version's window
against the rollback rule (error rate or p99 latency over `window_seconds`,
decided only with at least `min_requests`). A breach puts all traffic back on
the stable version and writes a `rollback` audit entry; a clean run writes a
`deploy` entry. Every applied split is kept in the deployment's state file, so
`pioneer rollback` can restore the one before.
"""

from __future__ import annotations

import json
import os
import time
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from lifecycle.audit import AuditLog
from lifecycle.capture import Captured
from lifecycle.serving.spec import Rollback

Weights = dict[int, int]


@dataclass
class WindowStats:
    requests: int
    errors: int
    p99_ms: float | None

    @property
    def error_rate(self) -> float:
        return self.errors / self.requests if self.requests else 0.0


def window_stats(records: Iterable[Captured], version: int, since: datetime) -> WindowStats:
    """The new version's requests since `since`; server faults (5xx) are errors, a client's
    malformed request (4xx) is not the model's fault."""
    latencies, errors = [], 0
    cutoff = since.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    for r in records:
        if r.meta.get("version") != version or r.time < cutoff:
            continue
        status = int(r.meta.get("status", 200))
        if 400 <= status < 500:
            continue
        errors += status >= 500
        latencies.append(float(r.meta.get("latency_ms", 0.0)))
    if not latencies:
        return WindowStats(0, 0, None)
    latencies.sort()
    p99 = latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]
    return WindowStats(len(latencies), errors, p99)


def breach(rule: Rollback, stats: WindowStats) -> str | None:
    """Why the window breaks the rule, or None (also None with too few requests to judge)."""
    if stats.requests < rule.min_requests:
        return None
    if rule.metric == "error_rate" and stats.error_rate > rule.threshold:
        return (
            f"error rate {stats.error_rate:.1%} over {stats.requests} requests "
            f"> {rule.threshold:.1%}"
        )
    if (
        rule.metric == "p99_latency_ms"
        and stats.p99_ms is not None
        and stats.p99_ms > rule.threshold
    ):
        return f"p99 latency {stats.p99_ms:.1f} ms > {rule.threshold:g} ms"
    return None


@dataclass
class DeploymentState:
    """What is deployed at one endpoint: the current split and every split before it."""

    endpoint: str
    target: str
    model: str
    weights: Weights = field(default_factory=dict)
    history: list[Weights] = field(default_factory=list)

    @classmethod
    def load(cls, path: Path, endpoint: str, target: str, model: str) -> DeploymentState:
        if not path.exists():
            return cls(endpoint, target, model)
        doc = json.loads(path.read_text(encoding="utf-8"))
        conv = lambda w: {int(k): int(v) for k, v in w.items()}  # noqa: E731 (JSON keys are strings)
        return cls(
            doc["endpoint"],
            doc["target"],
            doc["model"],
            conv(doc["weights"]),
            [conv(h) for h in doc["history"]],
        )

    def save(self, path: Path) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(self), indent=2), encoding="utf-8")
        os.replace(tmp, path)

    def apply(self, weights: Weights) -> None:
        if self.weights and self.weights != weights:
            self.history.append(dict(self.weights))
        self.weights = dict(weights)

    @property
    def serving(self) -> int | None:
        """The version with most traffic."""
        return max(self.weights, key=lambda v: self.weights[v]) if self.weights else None


@dataclass
class RolloutResult:
    outcome: str  # "deployed" | "rolled_back"
    steps: list[dict[str, Any]]
    reason: str | None
    audit_seq: int


def splits(stable: int | None, new: int, steps: list[int]) -> list[Weights]:
    if stable is None or stable == new:
        return [{new: 100}]
    return [{stable: 100 - p, new: p} if p < 100 else {new: 100} for p in steps]


def rollout(
    state: DeploymentState,
    new: int,
    steps: list[int],
    rule: Rollback,
    bake_seconds: float,
    apply: Callable[[Weights], Any],
    observe: Callable[[int, datetime], WindowStats],
    audit: AuditLog,
    save: Callable[[DeploymentState], None],
    sleep: Callable[[float], None] = time.sleep,
) -> RolloutResult:
    """Shift traffic to `new` step by step; on a breach, restore the stable version."""
    stable = state.serving
    done: list[dict[str, Any]] = []
    plan = splits(stable, new, steps)
    for weights in plan:
        started = datetime.now(UTC)
        apply(weights)
        state.apply(weights)
        save(state)
        sleep(bake_seconds)
        stats = observe(new, started - timedelta(seconds=rule.window_seconds))
        done.append({"weights": weights, "window": asdict(stats)})
        why = breach(rule, stats) if stable not in (None, new) else None
        if why:
            assert stable is not None
            apply({stable: 100})
            state.apply({stable: 100})
            save(state)
            entry = audit.append(
                "rollback",
                f"{state.model}:{new}",
                f"automatic: {why}",
                {
                    "endpoint": state.endpoint,
                    "target": state.target,
                    "restored": stable,
                    "at_weights": weights,
                    "window": asdict(stats),
                    "rule": rule.model_dump(),
                },
            )
            return RolloutResult("rolled_back", done, why, entry["seq"])
    entry = audit.append(
        "deploy",
        f"{state.model}:{new}",
        "canary passed" if len(plan) > 1 else "deployed",
        {"endpoint": state.endpoint, "target": state.target, "replaced": stable, "steps": done},
    )
    return RolloutResult("deployed", done, None, entry["seq"])


def rollback(
    state: DeploymentState,
    apply: Callable[[Weights], Any],
    audit: AuditLog,
    save: Callable[[DeploymentState], None],
    reason: str,
) -> tuple[Weights, dict[str, Any]]:
    """Restore the version deployed before the current one (a manual `pioneer rollback`)."""
    removed = state.serving
    # The last full deployment of another version; canary steps in between are skipped.
    while state.history:
        previous = state.history.pop()
        if len(previous) == 1 and removed not in previous:
            break
    else:
        raise ValueError(
            f"endpoint {state.endpoint} ({state.target}): nothing to roll back to "
            "(no earlier version fully deployed)"
        )
    apply(previous)
    state.weights = previous
    save(state)
    entry = audit.append(
        "rollback",
        f"{state.model}:{removed}",
        reason,
        {"endpoint": state.endpoint, "target": state.target, "restored": previous},
    )
    return previous, entry
