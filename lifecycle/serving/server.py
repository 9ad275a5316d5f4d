"""The local inference server: a registered MLflow model behind FastAPI on uvicorn.

Routes follow MLflow's scoring protocol so a client written for `mlflow models
serve` (or SageMaker's container contract) works unchanged: `GET /ping` and
`GET /health`, `POST /invocations` with `{"inputs": [[...], ...]}` (or
`instances`). What pioneer adds over MLflow's own server (see docs/serving.md
for why it is not used as is): the request is validated before the model sees
it (a 422 naming the problem, never a 500), inputs are cast to the model's
dtype, and every sampled request is captured in the one capture format.
uvicorn stops gracefully on SIGINT/SIGTERM: it stops accepting, finishes the
requests in flight, then the capture file is closed.
"""

# No `from __future__ import annotations`: FastAPI must see the real request types.
import json
import random
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lifecycle import capture

MAX_BATCH = 1024


@dataclass
class Predictor:
    """A loaded torch model and what the server needs to know about it."""

    module: Any
    name: str
    version: int
    input_width: int | None
    """Features per row the model takes; None when it cannot be told (no width check)."""
    labels: list[str] = field(default_factory=list)

    def predict(self, rows: list[list[float]]) -> list[int]:
        import torch

        with torch.inference_mode():
            x = torch.tensor(rows, dtype=torch.float32)
            return [int(i) for i in self.module(x).argmax(dim=1).tolist()]


def input_width(module: Any) -> int | None:
    """The training code's digits models take 64 pixels; other models: their first Linear."""
    from torch import nn

    from training.models import DIGITS_PIXELS, DigitsCNN, DigitsMLP

    if isinstance(module, (DigitsMLP, DigitsCNN)):
        return DIGITS_PIXELS
    first = next((m for m in module.modules() if isinstance(m, nn.Linear)), None)
    return first.in_features if first is not None else None


def load_predictor(tracking_uri: str, ref: str, quantize: bool = False) -> Predictor:
    """Resolve `ref` in the registry and load it (optionally int8 dynamic-quantized)."""
    import torch

    from lifecycle.registry import Registry

    # One intra-op thread per server: requests run in parallel on FastAPI's pool instead,
    # and small batches gain nothing from more (they contend on a shared machine).
    torch.set_num_threads(1)
    registry = Registry(tracking_uri)
    resolved = registry.resolve(ref)
    module = registry.load_pytorch(f"{resolved.name}:{resolved.version}")
    module.eval()
    width = input_width(module)
    if quantize:
        module = quantized(module)
    return Predictor(module, resolved.name, resolved.version, width)


def quantized(module: Any) -> Any:
    """PyTorch dynamic quantization: Linear weights to int8, activations quantized per batch."""
    import torch
    from torch import nn

    return torch.ao.quantization.quantize_dynamic(module, {nn.Linear}, dtype=torch.qint8)


def build_app(
    predictor: Predictor,
    capture_path: Path | None = None,
    sample_percent: int = 100,
    variant: str = "primary",
    seed: int | None = None,
) -> Any:
    from fastapi import FastAPI, Request
    from fastapi.exceptions import RequestValidationError
    from fastapi.responses import JSONResponse
    from pydantic import BaseModel, ConfigDict, Field, model_validator

    width = predictor.input_width
    writer = capture.CaptureWriter(capture_path) if capture_path else None
    sampler = random.Random(seed)

    class Invocation(BaseModel):
        model_config = ConfigDict(extra="forbid", allow_inf_nan=False)
        inputs: list[list[float]] | None = Field(default=None, min_length=1, max_length=MAX_BATCH)
        instances: list[list[float]] | None = Field(
            default=None, min_length=1, max_length=MAX_BATCH
        )

        @model_validator(mode="after")
        def _one_and_width(self) -> Any:
            if (self.inputs is None) == (self.instances is None):
                raise ValueError("give exactly one of 'inputs' or 'instances'")
            rows = self.rows
            if width is not None:
                for i, row in enumerate(rows):
                    if len(row) != width:
                        raise ValueError(
                            f"row {i} has {len(row)} values; the model takes {width} per row"
                        )
            return self

        @property
        def rows(self) -> list[list[float]]:
            return self.inputs if self.inputs is not None else (self.instances or [])

    app = FastAPI(title=f"pioneer {predictor.name} v{predictor.version}", docs_url=None)
    meta = {"model": predictor.name, "version": predictor.version, "variant": variant}

    def _capture(body: Any, out: Any, status: int, started: float) -> None:
        if writer is None or sampler.random() * 100 >= sample_percent:
            return
        latency = round((time.perf_counter() - started) * 1000, 3)
        writer.write(
            capture.record(body, out, meta={**meta, "latency_ms": latency, "status": status})
        )

    @app.middleware("http")
    async def _timer(request: Request, call_next: Any) -> Any:
        request.state.started = time.perf_counter()
        return await call_next(request)

    @app.exception_handler(RequestValidationError)
    async def _invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        problems = [
            {
                "field": ".".join(str(p) for p in e["loc"] if p != "body") or "body",
                "error": e["msg"],
            }
            for e in exc.errors()
        ]
        doc = {"error": "invalid request", "problems": problems}
        raw = (await request.body()).decode("utf-8", "replace")
        try:
            body: Any = json.loads(raw)
        except ValueError:
            body = raw
        if request.url.path == "/invocations":
            _capture(body, None, 422, request.state.started)
        return JSONResponse(doc, status_code=422)

    @app.get("/ping")
    @app.get("/health")
    def health() -> dict[str, Any]:
        return {"status": "ok", **meta}

    @app.post("/invocations")
    def invocations(req: Invocation, request: Request) -> dict[str, Any]:
        # A plain `def`: FastAPI runs it in its thread pool, so torch does not block the loop.
        out = {"predictions": predictor.predict(req.rows), **meta}
        _capture(req.model_dump(exclude_none=True), out, 200, request.state.started)
        return out

    return app


def make_server(app: Any, host: str = "127.0.0.1", port: int = 8080) -> Any:
    """A uvicorn server (its own SIGINT/SIGTERM handling gives the graceful shutdown)."""
    import uvicorn

    config = uvicorn.Config(
        app, host=host, port=port, log_level="warning", timeout_graceful_shutdown=10
    )
    return uvicorn.Server(config)
