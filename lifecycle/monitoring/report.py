"""An HTML report a person can read: the checks, and per-feature drift plots.

Self-contained (plots are PNGs embedded as data URIs), so a CronJob can drop
it in a bucket and anyone can open it.
"""

from __future__ import annotations

import base64
import html
import io
from pathlib import Path

import numpy as np

from lifecycle.monitoring.baseline import Baseline
from lifecycle.monitoring.checks import MonitorResult
from lifecycle.monitoring.spec import MonitoringSpec

TOP = 8  # per-feature histograms shown


def _png(fig: object) -> str:
    import matplotlib.pyplot as plt

    buf = io.BytesIO()
    fig.savefig(buf, format="png", dpi=90, bbox_inches="tight")  # type: ignore[attr-defined]
    plt.close(fig)  # type: ignore[arg-type]
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


def _figures(spec: MonitoringSpec, b: Baseline, r: MonitorResult) -> list[tuple[str, str]]:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figs: list[tuple[str, str]] = []
    width = b.X.shape[1]
    side = int(round(width**0.5))
    strength = -np.log10(np.clip(np.nan_to_num(r.feature_scores, nan=1.0), 1e-300, 1.0))
    if side * side == width:  # image features: drift per pixel, where it happens
        fig, axes = plt.subplots(1, 3, figsize=(10, 3.4))
        for ax, img, title in (
            (axes[0], b.X.mean(0), "training mean image"),
            (axes[1], r.window_X.mean(0) if len(r.window_X) else np.zeros(width), "window mean"),
        ):
            ax.imshow(np.asarray(img).reshape(side, side), cmap="gray_r", vmin=0, vmax=1)
            ax.set_title(title)
            ax.axis("off")
        im = axes[2].imshow(strength.reshape(side, side), cmap="magma")
        axes[2].set_title("drift per pixel: -log10 KS p")
        axes[2].axis("off")
        fig.colorbar(im, ax=axes[2], fraction=0.046)
        figs.append(("Where the inputs drift", _png(fig)))
    top = np.argsort(-strength)[:TOP]
    fig, axes = plt.subplots(2, TOP // 2, figsize=(12, 5), squeeze=False)
    bins = np.linspace(spec.checks.data_quality.min_value, spec.checks.data_quality.max_value, 18)
    for ax, j in zip(axes.flat, top, strict=False):
        ax.hist(b.X[:, j], bins=bins, density=True, alpha=0.5, label="training")
        cur = r.window_X[:, j] if len(r.window_X) else np.empty(0)
        ax.hist(cur[~np.isnan(cur)], bins=bins, density=True, alpha=0.5, label="window")
        flag = "DRIFT" if r.feature_drifted[j] else "ok"
        ax.set_title(f"feature {j}: p={r.feature_scores[j]:.1e} {flag}", fontsize=9)
    axes.flat[0].legend(fontsize=8)
    figs.append((f"The {TOP} most drifted features (histograms)", _png(fig)))
    classes = b.classes
    fig, ax = plt.subplots(figsize=(6, 3))
    ref = [np.mean(b.eval_pred == k) for k in classes]
    pred = r.window_pred[r.window_pred >= 0]
    cur_share = [np.mean(pred == k) if len(pred) else 0.0 for k in classes]
    ax.bar(classes - 0.2, ref, width=0.4, label="eval set")
    ax.bar(classes + 0.2, cur_share, width=0.4, label="window")
    ax.set_xticks(classes)
    ax.set_xlabel("predicted class")
    ax.set_ylabel("share")
    ax.legend()
    figs.append(("Predicted classes", _png(fig)))
    return figs


def write_html(path: Path, spec: MonitoringSpec, b: Baseline, r: MonitorResult, title: str) -> Path:
    rows = "".join(
        f"<tr class='{c.status}'><td>{c.name}</td><td>{c.status}</td>"
        f"<td>{html.escape(c.summary)}</td></tr>"
        for c in r.checks
    )
    plots = "".join(
        f"<h2>{html.escape(t)}</h2><img src='{src}' alt='{html.escape(t)}'>"
        for t, src in _figures(spec, b, r)
    )
    verdict = ("BREACH: " + ", ".join(r.breaches)) if r.breaches else "no breach"
    doc = f"""<!doctype html><html><head><meta charset="utf-8"><title>{html.escape(title)}</title>
<style>body{{font-family:sans-serif;max-width:1100px;margin:2em auto}}
td{{padding:4px 10px;border-bottom:1px solid #ddd}} .breach{{background:#fdd}}
.ok{{background:#efe}} .skipped{{color:#888}} img{{max-width:100%}}</style></head><body>
<h1>{html.escape(title)}</h1><p><b>{html.escape(verdict)}</b> — {r.rows} rows in the window,
baseline {html.escape(b.source)} ({len(b.X)} training rows)</p>
<table><tr><th>check</th><th>status</th><th>result</th></tr>{rows}</table>{plots}</body></html>"""
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(doc, encoding="utf-8")
    return path
