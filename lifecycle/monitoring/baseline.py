"""The training-data profile monitoring compares traffic with.

Written at registration (`Store.baseline_path(model, version)`) as an .npz
holding `X`, `y` (training features and labels) and `eval_X`, `eval_y`,
`eval_pred` (the eval split and the model's predictions on it).
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

KEYS = ("X", "y", "eval_X", "eval_y", "eval_pred")


class BaselineError(ValueError):
    pass


@dataclass(frozen=True)
class Baseline:
    X: np.ndarray
    y: np.ndarray
    eval_X: np.ndarray
    eval_y: np.ndarray
    eval_pred: np.ndarray
    source: str = ""

    @property
    def eval_accuracy(self) -> float:
        return float(np.mean(self.eval_pred == self.eval_y))

    @property
    def classes(self) -> np.ndarray:
        return np.unique(np.concatenate([self.y, self.eval_pred]))

    def save(self, path: Path) -> Path:
        path = Path(path)
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_name(path.name + ".tmp.npz")
        np.savez(tmp, **{k: getattr(self, k) for k in KEYS})
        tmp.replace(path)
        return path


def load(path: Path | str) -> Baseline:
    path = Path(path)
    if not path.is_file():
        raise BaselineError(f"--baseline: {path} does not exist (a baseline .npz)")
    with np.load(path) as z:
        missing = [k for k in KEYS if k not in z]
        if missing:
            raise BaselineError(f"--baseline: {path} lacks {', '.join(missing)} (needs {KEYS})")
        arrays = {k: z[k] for k in KEYS}
    if arrays["X"].ndim != 2 or arrays["eval_X"].shape[1:] != arrays["X"].shape[1:]:
        raise BaselineError(f"--baseline: {path}: X and eval_X must be 2-D with equal widths")
    return Baseline(**arrays, source=str(path))


def digits_baseline() -> Baseline:
    """The digits training split, with eval predictions from a classifier fitted to it
    (for `pioneer monitor simulate` before any model is registered)."""
    from training.data import digits

    s = digits()
    X, y = (t.numpy() for t in s.train.tensors)  # type: ignore[attr-defined]
    eX, ey = (t.numpy() for t in s.test.tensors)  # type: ignore[union-attr]
    fitted = Baseline(X, y, eX, ey, ey, source="digits")
    return Baseline(X, y, eX, ey, predictor(fitted)(eX), source="digits (training split)")


def predictor(b: Baseline) -> Callable[[np.ndarray], np.ndarray]:
    """A classifier fitted to the baseline's training split (the served model's stand-in)."""
    from sklearn.neighbors import NearestCentroid  # fits in milliseconds; ~90% on digits

    with warnings.catch_warnings():  # constant border pixels: harmless for centroids
        warnings.simplefilter("ignore", UserWarning)
        model = NearestCentroid().fit(b.X, b.y)
    return lambda X: model.predict(X).astype(int)
