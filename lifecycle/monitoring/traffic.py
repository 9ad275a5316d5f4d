"""Captured requests (lifecycle.capture) as arrays monitoring can test.

A request body is `{"instances": [[f0, f1, ...], ...]}` (also `inputs`, or a
bare list; one instance may be sent unwrapped); a response is
`{"predictions": [class | [p0, p1, ...], ...]}`. Each instance is one row.
Rows that are not a list of `features` numbers count as schema errors and
are left out of the drift tests; JSON null / NaN count as missing values.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from lifecycle import capture


@dataclass
class Traffic:
    X: np.ndarray  # rows with the right schema; NaN where a value was missing
    pred: np.ndarray  # predicted class per row in X (-1 when the response had none)
    ids: list[str]  # the request's inferenceId or eventId, per row in X
    requests: int
    schema_errors: int = 0
    rows: int = 0  # every instance, well-formed or not
    latency_ms: np.ndarray = field(default_factory=lambda: np.empty(0))
    failed: int = 0  # requests answered with an error status

    def rows_between(self, start: int, stop: int) -> Traffic:
        """Rows `start:stop` (request counts and latency stay those of the whole capture)."""
        return Traffic(
            X=self.X[start:stop],
            pred=self.pred[start:stop],
            ids=self.ids[start:stop],
            requests=self.requests,
            schema_errors=self.schema_errors,
            rows=self.rows,
            latency_ms=self.latency_ms,
            failed=self.failed,
        )

    def tail(self, n: int) -> Traffic:
        """The newest `n` rows (the monitoring window)."""
        return self.rows_between(max(len(self.X) - n, 0), len(self.X))


def _instances(body: Any) -> list[Any]:
    if isinstance(body, dict):
        body = body.get("instances", body.get("inputs"))
    if isinstance(body, list) and body and not isinstance(body[0], list | dict):
        return [body]  # one unwrapped instance
    return body if isinstance(body, list) else [body]


def _predictions(body: Any) -> list[Any]:
    if isinstance(body, dict):
        body = body.get("predictions")
    return body if isinstance(body, list) else []


def _row(inst: Any, width: int) -> np.ndarray | None:
    if not isinstance(inst, list) or len(inst) != width:
        return None
    if any(v is not None and (isinstance(v, bool) or not isinstance(v, int | float)) for v in inst):
        return None
    return np.array([np.nan if v is None else v for v in inst], dtype=float)


def _label(pred: Any) -> int:
    if isinstance(pred, list) and pred:
        return int(np.argmax(pred))
    if isinstance(pred, int | float) and not isinstance(pred, bool):
        return int(pred)
    return -1


def collect(records: Iterable[capture.Captured], width: int) -> Traffic:
    rows: list[np.ndarray] = []
    preds: list[int] = []
    ids: list[str] = []
    latency: list[float] = []
    requests = schema_errors = total = failed = 0
    for r in records:
        requests += 1
        status = r.meta.get("status", 200)
        if isinstance(status, int) and status >= 400:
            failed += 1
        if isinstance(r.meta.get("latency_ms"), int | float):
            latency.append(float(r.meta["latency_ms"]))
        outs = _predictions(r.outputs)
        rid = str(r.meta.get("inference_id") or r.event_id)
        for i, inst in enumerate(_instances(r.inputs)):
            total += 1
            row = _row(inst, width)
            if row is None:
                schema_errors += 1
                continue
            rows.append(row)
            preds.append(_label(outs[i]) if i < len(outs) else -1)
            ids.append(rid if i == 0 else f"{rid}/{i}")
    X = np.vstack(rows) if rows else np.empty((0, width))
    return Traffic(
        X=X,
        pred=np.array(preds, dtype=int),
        ids=ids,
        requests=requests,
        schema_errors=schema_errors,
        rows=total,
        latency_ms=np.array(latency),
        failed=failed,
    )


def read(path: Path | str, width: int) -> Traffic:
    path = Path(path)
    if not path.exists():
        raise FileNotFoundError(f"--capture: {path} does not exist (a capture .jsonl or folder)")
    return collect(capture.read(path), width)


def read_labels(path: Path | str) -> dict[str, int]:
    """Ground truth that arrived later: JSON lines `{"id": <inferenceId|eventId>, "label": k}`."""
    labels: dict[str, int] = {}
    with Path(path).open(encoding="utf-8") as f:
        for n, line in enumerate(f, 1):
            if not line.strip():
                continue
            try:
                doc = json.loads(line)
                labels[str(doc["id"])] = int(doc["label"])
            except (json.JSONDecodeError, KeyError, TypeError, ValueError):
                raise ValueError(
                    f'--labels: {path}:{n}: expected {{"id": ..., "label": <int>}}'
                ) from None
    return labels
