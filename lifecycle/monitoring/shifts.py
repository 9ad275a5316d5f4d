"""Injected shifts of the digits images, and how many requests it takes to see them.

Clean traffic is drawn from the held-out split (the baseline's `eval_X`, never
trained on); drifted traffic is the same images rotated, noised, brightened,
or re-drawn with a skewed class prior. Predictions come from a predictor fitted
to the baseline's training split, standing in for the served model.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np
from scipy.ndimage import rotate as nd_rotate

from lifecycle import capture
from lifecycle.monitoring import checks
from lifecycle.monitoring.baseline import Baseline, predictor  # noqa: F401  (callers use shifts.predictor)
from lifecycle.monitoring.spec import MonitoringSpec
from lifecycle.monitoring.traffic import collect

Shift = Literal["none", "rotate", "noise", "brightness", "prior"]
SHIFTS: tuple[str, ...] = ("none", "rotate", "noise", "brightness", "prior")
# Severity 1.0 means: 30 degrees, noise sigma 0.3, +0.3 brightness, 90% of requests one class.
SCALE = {"rotate": 30.0, "noise": 0.3, "brightness": 0.3, "prior": 0.9}
SIDE = 8  # digits images are 8x8


def draw(
    b: Baseline, shift: str, n: int, rng: np.random.Generator, severity: float = 1.0
) -> tuple[np.ndarray, np.ndarray]:
    """`n` held-out images (and their labels) with `shift` applied."""
    if shift == "prior":
        # class-prior shift: most requests are one class (a real change in who sends what)
        target = int(rng.choice(np.unique(b.eval_y)))
        p = np.where(b.eval_y == target, 1.0, 0.0)
        share = min(SCALE["prior"] * severity, 1.0)
        p = share * p / p.sum() + (1 - share) / len(p)
        idx = rng.choice(len(b.eval_X), size=n, p=p / p.sum())
    else:
        idx = rng.choice(len(b.eval_X), size=n)
    X, y = b.eval_X[idx].astype(float), b.eval_y[idx]
    if shift == "rotate":
        angles = rng.uniform(0.5, 1.0, n) * SCALE["rotate"] * severity * rng.choice([-1, 1], n)
        imgs = X.reshape(n, SIDE, SIDE)
        X = np.stack(
            [nd_rotate(im, a, reshape=False, order=1) for im, a in zip(imgs, angles, strict=True)]
        )
        X = X.reshape(n, -1)
    elif shift == "noise":
        X = X + rng.normal(0, SCALE["noise"] * severity, X.shape)
    elif shift == "brightness":
        X = X + SCALE["brightness"] * severity
    elif shift not in ("none", "prior"):
        raise ValueError(f"--shift: {shift!r} is not one of {', '.join(SHIFTS)}")
    return np.clip(X, 0.0, 1.0), y


def records(X: np.ndarray, pred: np.ndarray, start: int = 0) -> list[dict]:
    """One capture record per image, in the format every server writes."""
    return [
        capture.record(
            {"instances": [x.round(4).tolist()]},
            {"predictions": [int(p)]},
            event_id=f"req-{start + i:06d}",
            meta={"inference_id": f"req-{start + i:06d}", "status": 200},
        )
        for i, (x, p) in enumerate(zip(X, pred, strict=True))
    ]


@dataclass
class Detection:
    shift: str
    onset: int  # requests before the shift began
    detected_at: int | None  # request count at the first breaching check
    checks: list[str]  # the checks that breached first

    @property
    def delay(self) -> int | None:
        """Requests after the onset until the first breach (None: never detected)."""
        return None if self.detected_at is None else self.detected_at - self.onset


def detect(
    spec: MonitoringSpec,
    b: Baseline,
    docs: list[dict],
    onset: int,
    step: int = 10,
    shift: str = "",
) -> Detection:
    """Run the checks every `step` requests over the newest window, as a schedule would."""
    traffic = collect((capture.parse(d) for d in docs), b.X.shape[1])
    for end in range(spec.window, len(docs) + 1, step):
        result = checks.run(spec, b, traffic.rows_between(0, end))
        drift = [n for n in result.breaches if n in ("feature_drift", "prediction_drift")]
        if drift:
            return Detection(shift, onset, end, drift)
    return Detection(shift, onset, None, [])
