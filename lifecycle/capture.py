"""The one capture record format: SageMaker's data-capture JSON lines, everywhere.

SageMaker endpoints write this shape to S3 (one JSON object per request, under
`<prefix>/<endpoint>/<variant>/yyyy/mm/dd/hh/*.jsonl`); pioneer's local server
writes the same, and the readers for Vertex (BigQuery request-response rows)
and Azure ML (model_inputs / model_outputs) normalise into it, so monitoring
reads one format whatever served the model.

    {"captureData": {"endpointInput":  {"observedContentType": "application/json",
                                        "mode": "INPUT",  "data": "<json text>", "encoding": "JSON"},
                     "endpointOutput": {"observedContentType": "application/json",
                                        "mode": "OUTPUT", "data": "<json text>", "encoding": "JSON"}},
     "eventMetadata": {"eventId": "<uuid>", "inferenceTime": "2026-12-01T19:00:00Z",
                       "inferenceId": "<optional>", "pioneer": {...model, variant, latency_ms, status}},
     "eventVersion": "0"}
"""

from __future__ import annotations

import json
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

CONTENT_TYPE = "application/json"


@dataclass
class Captured:
    """One request as monitoring sees it."""

    event_id: str
    time: str
    inputs: Any  # the request body, decoded
    outputs: Any  # the response body, decoded (None when the request failed)
    meta: dict[str, Any]  # pioneer's extras: model, version, variant, latency_ms, status


def record(
    inputs: Any,
    outputs: Any,
    *,
    meta: dict[str, Any] | None = None,
    event_id: str | None = None,
    time: datetime | None = None,
) -> dict[str, Any]:
    """One capture record in SageMaker's format."""
    when = (time or datetime.now(UTC)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    return {
        "captureData": {
            "endpointInput": {
                "observedContentType": CONTENT_TYPE,
                "mode": "INPUT",
                "data": json.dumps(inputs),
                "encoding": "JSON",
            },
            "endpointOutput": {
                "observedContentType": CONTENT_TYPE,
                "mode": "OUTPUT",
                "data": json.dumps(outputs),
                "encoding": "JSON",
            },
        },
        "eventMetadata": {
            "eventId": event_id or str(uuid.uuid4()),
            "inferenceTime": when,
            "pioneer": meta or {},
        },
        "eventVersion": "0",
    }


def parse(doc: dict[str, Any]) -> Captured:
    data = doc["captureData"]
    meta = doc.get("eventMetadata", {})

    def body(part: dict[str, Any] | None) -> Any:
        if not part:
            return None
        if part.get("encoding", "JSON") == "BASE64":
            import base64

            return json.loads(base64.b64decode(part["data"]))
        return json.loads(part["data"])

    return Captured(
        event_id=meta.get("eventId", ""),
        time=meta.get("inferenceTime", ""),
        inputs=body(data.get("endpointInput")),
        outputs=body(data.get("endpointOutput")),
        meta=meta.get("pioneer", {}),
    )


class CaptureWriter:
    """Appends records to one JSON-lines file; thread-safe (the server has worker threads)."""

    def __init__(self, path: Path):
        self.path = Path(path)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self._lock = threading.Lock()

    def write(self, doc: dict[str, Any]) -> None:
        line = json.dumps(doc, separators=(",", ":")) + "\n"
        with self._lock, self.path.open("a", encoding="utf-8") as f:
            f.write(line)


def read(path: Path) -> Iterator[Captured]:
    """Every record in a capture file, or in every `*.jsonl` under a folder (sorted by name)."""
    path = Path(path)
    files = sorted(path.rglob("*.jsonl")) if path.is_dir() else [path]
    for f in files:
        with f.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if not line.strip():
                    continue
                try:
                    yield parse(json.loads(line))
                except (json.JSONDecodeError, KeyError, TypeError) as e:
                    raise ValueError(
                        f"{f}:{n}: not a capture record ({type(e).__name__}: {e})"
                    ) from None
