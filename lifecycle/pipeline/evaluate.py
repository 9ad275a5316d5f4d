"""The evaluation step: the trained weights scored on the held-out split training never saw.

Writes `metrics.json` (accuracy, macro and per-class precision/recall, latency
per single prediction) and the predictions, which the register step stores as
the monitoring baseline.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path
from typing import Any

import numpy as np


def load_trained(train_dir: Path, config: dict[str, Any], ckpt_subdir: str = "checkpoints") -> Any:
    """The model in the train step's newest complete checkpoint."""
    from training import checkpoint
    from training.models import build_model

    ckpt = checkpoint.latest(train_dir / ckpt_subdir)
    if ckpt is None:
        raise RuntimeError(f"no complete checkpoint under {train_dir / ckpt_subdir}")
    model = build_model(config["model"], arch=config["arch"])
    model.load_state_dict(checkpoint.load(ckpt)["model"])
    model.eval()
    return model


def eval_split(config: dict[str, Any]) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """(train X, train y, eval X, eval y): the training code's own fixed split."""
    from training.train import _datasets

    splits = _datasets(argparse.Namespace(**config))
    assert splits.test is not None
    x_tr, y_tr = (t.numpy() for t in splits.train.tensors)  # type: ignore[attr-defined]
    x_te, y_te = (t.numpy() for t in splits.test.tensors)  # type: ignore[attr-defined]
    return x_tr, y_tr, x_te, y_te


def evaluate(model: Any, x: np.ndarray, y: np.ndarray, latency_samples: int) -> dict[str, Any]:
    import torch
    from sklearn.metrics import accuracy_score, precision_recall_fscore_support

    with torch.no_grad():
        pred = model(torch.from_numpy(x)).argmax(dim=1).numpy()
        timings = []
        for i in range(latency_samples):
            row = torch.from_numpy(x[i % len(x)][None, :])
            t0 = time.perf_counter()
            model(row)
            timings.append((time.perf_counter() - t0) * 1000)
    classes = sorted(int(c) for c in np.unique(y))
    p, r, _, support = precision_recall_fscore_support(y, pred, labels=classes, zero_division=0)
    return {
        "accuracy": float(accuracy_score(y, pred)),
        "macro_precision": float(np.mean(p)),
        "macro_recall": float(np.mean(r)),
        "latency_ms_p50": float(np.percentile(timings, 50)),
        "latency_ms_p95": float(np.percentile(timings, 95)),
        "eval_rows": len(y),
        "per_class": {
            str(c): {"precision": float(p[i]), "recall": float(r[i]), "support": int(support[i])}
            for i, c in enumerate(classes)
        },
        "predictions": pred.tolist(),
    }
