"""Every check on one window of traffic against the baseline.

The statistics are scipy's (stats.ks_2samp, stats.chisquare); this module only picks columns, thresholds
and what counts as a breach.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

import numpy as np
from scipy.stats import chisquare, ks_2samp

from lifecycle.monitoring.baseline import Baseline
from lifecycle.monitoring.spec import MonitoringSpec
from lifecycle.monitoring.traffic import Traffic

Status = Literal["ok", "breach", "skipped"]
# Exit status of `pioneer monitor run` per breached check (the first one in this order).
EXIT_CODES = {
    "data_quality": 4,
    "feature_drift": 3,
    "prediction_drift": 3,
    "model_quality": 5,
    "service": 6,
}


@dataclass
class CheckResult:
    name: str
    status: Status
    value: float | None
    threshold: float | None
    summary: str
    detail: dict[str, Any] = field(default_factory=dict)


@dataclass
class MonitorResult:
    rows: int  # rows in the window
    checks: list[CheckResult]
    feature_scores: np.ndarray  # per-feature KS p-value
    feature_drifted: np.ndarray  # bool per feature
    window_X: np.ndarray
    window_pred: np.ndarray

    @property
    def breaches(self) -> list[str]:
        return [c.name for c in self.checks if c.status == "breach"]

    @property
    def exit_code(self) -> int:
        return next((EXIT_CODES[n] for n in EXIT_CODES if n in self.breaches), 0)

    def check(self, name: str) -> CheckResult:
        return next(c for c in self.checks if c.name == name)

    def as_dict(self) -> dict[str, Any]:
        return {
            "rows": self.rows,
            "breaches": self.breaches,
            "exit_code": self.exit_code,
            "checks": [
                {
                    "name": c.name,
                    "status": c.status,
                    "value": c.value,
                    "threshold": c.threshold,
                    "summary": c.summary,
                    **c.detail,
                }
                for c in self.checks
            ],
        }


def data_quality(spec: MonitoringSpec, t: Traffic) -> CheckResult:
    dq = spec.checks.data_quality
    if t.rows == 0:
        return CheckResult("data_quality", "breach", None, None, "no requests captured")
    cells = max(t.X.size, 1)
    finite = t.X[~np.isnan(t.X)]
    shares = {
        "schema_error_share": t.schema_errors / t.rows,
        "missing_share": float(np.isnan(t.X).sum() / cells),
        "out_of_range_share": float(
            ((finite < dq.min_value) | (finite > dq.max_value)).sum() / cells
        ),
    }
    limits = {
        "schema_error_share": dq.max_schema_error_share,
        "missing_share": dq.max_missing_share,
        "out_of_range_share": dq.max_out_of_range_share,
    }
    over = [k for k in shares if shares[k] > limits[k]]
    summary = (
        ", ".join(f"{k} {shares[k]:.1%} > {limits[k]:.1%}" for k in over)
        if over
        else f"{t.rows} rows, {dq.features} features each, values in "
        f"[{dq.min_value:g}, {dq.max_value:g}]"
    )
    worst = max(shares[k] - limits[k] for k in shares)
    return CheckResult(
        "data_quality",
        "breach" if over else "ok",
        round(worst, 6),
        0.0,
        summary,
        {"shares": shares, "limits": limits},
    )


def feature_drift(
    spec: MonitoringSpec, b: Baseline, X: np.ndarray
) -> tuple[CheckResult, np.ndarray]:
    """Two-sample KS test per feature; the window drifts when `drift_share` of them do."""
    fd = spec.checks.feature_drift
    nan_policy = "omit" if np.isnan(X).any() else "propagate"
    scores = np.asarray(ks_2samp(b.X, X, axis=0, nan_policy=nan_policy).pvalue, dtype=float)
    flags = drifted(spec, scores)
    share = float(flags.mean())
    top = np.argsort(scores)[:5]
    result = CheckResult(
        "feature_drift",
        "breach" if share >= fd.drift_share else "ok",
        round(share, 4),
        fd.drift_share,
        f"{int(flags.sum())} of {len(flags)} features drifted (KS p < {fd.threshold:g})",
        {"most_drifted": [int(j) for j in top]},
    )
    return result, scores


def drifted(spec: MonitoringSpec, pvalues: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore"):
        return pvalues < spec.checks.feature_drift.threshold


def _frequencies(labels: np.ndarray, classes: np.ndarray) -> np.ndarray:
    counts = np.array([(labels == k).sum() for k in classes], dtype=float)
    return counts / max(counts.sum(), 1.0)


def prediction_drift(spec: MonitoringSpec, b: Baseline, pred: np.ndarray) -> CheckResult:
    pred = pred[pred >= 0]
    if len(pred) == 0:
        return CheckResult("prediction_drift", "skipped", None, None, "no predictions captured")
    classes = b.classes
    ref = _frequencies(b.eval_pred, classes)
    observed = np.array([(pred == k).sum() for k in classes], dtype=float)
    outside = len(pred) - observed.sum()  # classes the model never predicted on the eval set
    pvalue = 0.0 if outside else float(chisquare(observed, ref * len(pred)).pvalue)
    limit = spec.checks.prediction_drift.threshold
    return CheckResult(
        "prediction_drift",
        "breach" if pvalue < limit else "ok",
        round(pvalue, 6),
        limit,
        f"predicted-class frequencies vs the eval set: chi-square p {pvalue:.2g} (limit {limit:g})",
        {
            "baseline_share": ref.round(4).tolist(),
            "window_share": (observed / len(pred)).round(4).tolist(),
        },
    )


def model_quality(
    spec: MonitoringSpec, b: Baseline, t: Traffic, labels: dict[str, int] | None
) -> CheckResult:
    mq = spec.checks.model_quality
    if not labels:
        return CheckResult("model_quality", "skipped", None, None, "no ground-truth labels given")
    joined = [(p, labels[i]) for p, i in zip(t.pred, t.ids, strict=True) if i in labels]
    if len(joined) < mq.min_labels:
        return CheckResult(
            "model_quality",
            "skipped",
            None,
            None,
            f"{len(joined)} labelled requests, fewer than min_labels {mq.min_labels}",
        )
    pred, truth = np.array(joined).T
    accuracy = float(np.mean(pred == truth))
    floor = b.eval_accuracy - mq.max_accuracy_drop
    return CheckResult(
        "model_quality",
        "breach" if accuracy < floor else "ok",
        round(accuracy, 4),
        round(floor, 4),
        f"accuracy {accuracy:.3f} on {len(joined)} labelled requests "
        f"(baseline {b.eval_accuracy:.3f}, floor {floor:.3f})",
        {"labelled": len(joined), "baseline_accuracy": round(b.eval_accuracy, 4)},
    )


def service(spec: MonitoringSpec, t: Traffic) -> CheckResult:
    sv = spec.checks.service
    if t.requests == 0:
        return CheckResult("service", "skipped", None, None, "no requests captured")
    error_rate = t.failed / t.requests
    p95 = float(np.percentile(t.latency_ms, 95)) if len(t.latency_ms) else None
    slow = p95 is not None and p95 > sv.p95_latency_ms
    failing = error_rate > sv.max_error_rate
    latency = f"p95 latency {p95:.0f} ms" if p95 is not None else "no latency recorded"
    return CheckResult(
        "service",
        "breach" if slow or failing else "ok",
        round(error_rate, 4),
        sv.max_error_rate,
        f"error rate {error_rate:.1%} (limit {sv.max_error_rate:.1%}); {latency} "
        f"(limit {sv.p95_latency_ms:g} ms)",
        {"p95_latency_ms": p95, "error_rate": error_rate},
    )


def run(
    spec: MonitoringSpec,
    baseline: Baseline,
    traffic: Traffic,
    labels: dict[str, int] | None = None,
) -> MonitorResult:
    """Every check on the newest `spec.window` rows (data quality and service: all of them)."""
    window = traffic.tail(spec.window)
    results = [data_quality(spec, traffic)]
    if len(window.X) == 0:
        empty = np.full(baseline.X.shape[1], np.nan)
        skipped = CheckResult("feature_drift", "skipped", None, None, "no well-formed rows")
        return MonitorResult(0, [*results, skipped], empty, empty > 0, window.X, window.pred)
    drift, scores = feature_drift(spec, baseline, window.X)
    results += [
        drift,
        prediction_drift(spec, baseline, window.pred),
        model_quality(spec, baseline, traffic, labels),
        service(spec, traffic),
    ]
    return MonitorResult(
        len(window.X), results, scores, drifted(spec, scores), window.X, window.pred
    )
