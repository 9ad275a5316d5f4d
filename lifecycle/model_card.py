"""Model cards (Markdown and JSON), written at registration from the lineage record."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from lifecycle.store import Store

LIMITATIONS = (
    "Trained and evaluated on one dataset version; inputs unlike it (other scanners, "
    "resolutions, handwriting styles) are outside what the metrics describe.",
    "Metrics are measured on a held-out split of the same source, not on production traffic; "
    "monitoring compares live traffic with the stored baseline.",
    "Latency was measured on the CPU of the machine that ran the pipeline, one row at a time.",
)


def card(record: dict[str, Any], intended_use: str) -> dict[str, Any]:
    m = record["metrics"]
    return {
        "model": record["model"],
        "version": record["version"],
        "intended_use": intended_use,
        "data": record["dataset"],
        "training": {
            "code": record["code"],
            "config": record["training"]["config"],
            "hardware": record["hardware"],
        },
        "metrics": {k: v for k, v in m.items() if k != "per_class"},
        "metrics_by_class": m["per_class"],
        "attributions": record.get("attributions"),
        "energy": record["energy"],
        "cost_estimate": record["gate"].get("estimate"),
        "gate": {"passed": record["gate"]["passed"], "checks": record["gate"]["checks"]},
        "limitations": list(LIMITATIONS),
    }


def markdown(c: dict[str, Any]) -> str:
    m = c["metrics"]
    lines = [
        f"# Model card: {c['model']} v{c['version']}",
        "",
        "## Intended use",
        "",
        c["intended_use"],
        "",
        "## Data",
        "",
        f"- location: `{c['data']['path']}`",
        f"- version: {c['data']['version']}",
        f"- digest (sha256): `{c['data']['digest']}`",
        f"- rows: {c['data']['rows']}",
        "",
        "## Metrics (held-out split)",
        "",
        f"- accuracy: {m['accuracy']:.4f}",
        f"- macro precision / recall: {m['macro_precision']:.4f} / {m['macro_recall']:.4f}",
        f"- latency per prediction: p50 {m['latency_ms_p50']:.3f} ms, "
        f"p95 {m['latency_ms_p95']:.3f} ms",
        "",
        "| class | precision | recall | support |",
        "|---|---|---|---|",
    ]
    for cls, v in c["metrics_by_class"].items():
        lines.append(f"| {cls} | {v['precision']:.3f} | {v['recall']:.3f} | {v['support']} |")
    attr = c.get("attributions")
    if attr:
        lines += ["", "## Feature attributions", "", attr["summary"]]
    e = c["energy"]
    est = c.get("cost_estimate") or {}
    lines += [
        "",
        "## Energy and carbon",
        "",
        f"- this run (measured): {_num(e.get('kwh'))} kWh, {_num(e.get('kg_co2e'))} kg CO2e",
        f"- the job on {est.get('cloud', '-')} (estimate): {_num(est.get('kwh'))} kWh, "
        f"{_num(est.get('kg_co2e'))} kg CO2e, ${_num(est.get('usd'))}",
        "",
        "## Gate",
        "",
        *(
            f"- {'pass' if g['passed'] else 'FAIL'}: {g['check']} (value {_num(g['value'])})"
            for g in c["gate"]["checks"]
        ),
        "",
        "## Limitations",
        "",
        *(f"- {x}" for x in c["limitations"]),
        "",
    ]
    return "\n".join(lines)


def _num(v: Any) -> str:
    return "-" if v is None else f"{v:.4g}" if isinstance(v, float) else str(v)


def write(store: Store, record: dict[str, Any], intended_use: str) -> tuple[Path, Path]:
    c = card(record, intended_use)
    md = store.card_path(record["model"], record["version"], ".md")
    js = store.card_path(record["model"], record["version"], ".json")
    md.parent.mkdir(parents=True, exist_ok=True)
    md.write_text(markdown(c), encoding="utf-8")
    js.write_text(json.dumps(c, indent=2, default=str), encoding="utf-8")
    return md, js
