"""Load test of the local inference server, and what a prediction costs on each cloud.

.venv/bin/python benchmarks/serving.py [--requests 2000] [--seconds 30] [--clients 8]
                                       [--batch 1] [--store DIR --model REF] [--json]

Starts `pioneer serve MODEL --local` in a second process on 127.0.0.1, drives it
with a real HTTP client (httpx, `--clients` threads) until `--requests` are done
or `--seconds` pass, and prints throughput, p50/p95/p99 latency and errors;
then the same with `--quantize` (PyTorch dynamic int8) and the accuracy change.
The measured throughput of this one single-threaded replica, taken as each
endpoint replica's throughput, gives $ and kWh per 1,000 predictions for each
cloud's default endpoint instance. Without `--store` a digits model is trained
and registered in a temporary store first.
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
ENDPOINTS = [  # (target, cloud, region): each cloud's default serving-spec instance
    ("sagemaker", "aws", "us-east-1"),
    ("vertex", "gcp", "us-central1"),
    ("azureml", "azure", "eastus"),
    ("kubernetes", "aws", "us-east-1"),
]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_server(store: Path, model: str, quantize: bool) -> tuple[subprocess.Popen[bytes], str]:
    port = free_port()
    cmd = [sys.executable, "-c", "from stacks.cli import main; main()", "serve", model, "--local"]
    cmd += ["--port", str(port), "--store", str(store)] + (["--quantize"] if quantize else [])
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    proc = subprocess.Popen(cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    return proc, f"http://127.0.0.1:{port}"


def wait_ready(proc: subprocess.Popen[bytes], url: str, timeout: float = 900) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise SystemExit(f"server exited: {proc.stderr.read().decode() if proc.stderr else ''}")
        try:
            if httpx.get(f"{url}/ping", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            time.sleep(0.5)
    proc.kill()
    raise SystemExit(f"server did not start in {timeout:g} s")


def load(
    url: str, rows: list[list[float]], requests: int, seconds: float, clients: int, batch: int
) -> dict[str, Any]:
    import httpx

    latencies: list[float] = []
    errors = 0
    lock = threading.Lock()
    sent = 0
    stop_at = time.monotonic() + seconds

    def worker(k: int) -> None:
        nonlocal sent, errors
        with httpx.Client(timeout=10) as c:
            i = k
            while time.monotonic() < stop_at:
                with lock:
                    if sent >= requests:
                        return
                    sent += 1
                body = {"inputs": [rows[(i + j) % len(rows)] for j in range(batch)]}
                t = time.perf_counter()
                try:
                    ok = c.post(f"{url}/invocations", json=body).status_code == 200
                except httpx.HTTPError:
                    ok = False
                dt = (time.perf_counter() - t) * 1000
                with lock:
                    latencies.append(dt)
                    errors += not ok
                i += clients

    t0 = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(k,)) for k in range(clients)]
    for th in threads:
        th.start()
    for th in threads:
        th.join()
    wall = time.perf_counter() - t0
    latencies.sort()

    def pct(p: float) -> float:
        return round(latencies[min(len(latencies) - 1, int(p * len(latencies)))], 2)

    n = len(latencies)
    return {
        "requests": n,
        "errors": errors,
        "seconds": round(wall, 2),
        "requests_per_second": round(n / wall, 1),
        "predictions_per_second": round(n * batch / wall, 1),
        "p50_ms": pct(0.50),
        "p95_ms": pct(0.95),
        "p99_ms": pct(0.99),
    }


def accuracy(store: Path, model: str) -> dict[str, float]:
    import torch

    from lifecycle.serving.server import load_predictor
    from lifecycle.store import Store
    from training.data import digits

    x, y = digits().test.tensors  # type: ignore[union-attr]
    out = {}
    for q in (False, True):
        p = load_predictor(Store(store).tracking_uri, model, quantize=q)
        pred = torch.tensor(p.predict(x.tolist()))
        out["int8" if q else "fp32"] = round((pred == y).float().mean().item(), 4)
    return out


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--requests", type=int, default=2000)
    ap.add_argument("--seconds", type=float, default=30.0)
    ap.add_argument("--clients", type=int, default=8)
    ap.add_argument("--batch", type=int, default=1, help="rows per request")
    ap.add_argument("--store", type=Path, default=None)
    ap.add_argument("--model", default="pioneer-digits:production")
    ap.add_argument("--json", action="store_true")
    args = ap.parse_args()
    log = lambda m: print(m, file=sys.stderr, flush=True)  # noqa: E731
    os.environ.setdefault("MLFLOW_DISABLE_TELEMETRY", "true")
    from training.data import digits

    tmp = None
    store = args.store
    if store is None:
        from lifecycle.registry import Registry
        from lifecycle.serving.sample_model import register_digits
        from lifecycle.store import Store

        tmp = tempfile.TemporaryDirectory()
        store = Path(tmp.name)
        log("training and registering a digits model in a temporary store ...")
        uri, version = register_digits(Store(store))
        Registry(uri).set_alias("pioneer-digits", "production", version)
    rows = digits().test.tensors[0].tolist()  # type: ignore[union-attr]
    runs = {}
    log("starting the fp32 and int8 servers ...")  # together: start-up is mostly imports
    servers = {name: start_server(store, args.model, name == "int8") for name in ("fp32", "int8")}
    try:
        for name, (proc, url) in servers.items():
            wait_ready(proc, url)
            load(url, rows, min(100, args.requests), 10, 2, args.batch)  # warm-up
            log(f"{name}: {args.requests} requests or {args.seconds:g} s, {args.clients} clients")
            runs[name] = load(url, rows, args.requests, args.seconds, args.clients, args.batch)
            log(json.dumps(runs[name]))
    finally:
        for proc, _ in servers.values():
            proc.terminate()  # SIGTERM: uvicorn's graceful shutdown
            proc.wait(timeout=60)
    acc = accuracy(store, args.model)
    from cost.serving import endpoint_cost, per_thousand
    from lifecycle.serving.spec import ServingSpec

    spec = ServingSpec()
    pps = runs["fp32"]["predictions_per_second"]
    costs = []
    for target, cloud, region in ENDPOINTS:
        c = endpoint_cost(target, cloud, region, spec.instance_type(cloud, region), 1, 1)
        k = per_thousand(c, pps)
        costs.append({"target": target, "region": region, "instance_type": c.instance_type,
                      "usd_per_hour": c.replica_usd_per_hour, "usd_per_1000": k["usd"],
                      "wh_per_1000": None if k["kwh"] is None else k["kwh"] * 1000,
                      "g_co2e_per_1000": None if k["kg_co2e"] is None else k["kg_co2e"] * 1000})  # fmt: skip
    doc = {"runs": runs, "accuracy": acc, "batch": args.batch, "per_replica_predictions_per_second": pps,
           "cost_per_1000_predictions": costs}  # fmt: skip
    if tmp is not None:
        tmp.cleanup()
    if args.json:
        print(json.dumps(doc, indent=2))
        return
    from rich.console import Console
    from rich.table import Table

    t = Table(title=f"local server, {args.clients} clients, {args.batch} row(s)/request")
    for col in ("model", "requests", "errors", "req/s", "p50 ms", "p95 ms", "p99 ms", "accuracy"):
        t.add_column(col)
    for name, r in runs.items():
        t.add_row(name, str(r["requests"]), str(r["errors"]), f"{r['requests_per_second']:.1f}",
                  f"{r['p50_ms']:.2f}", f"{r['p95_ms']:.2f}", f"{r['p99_ms']:.2f}", f"{acc[name]:.2%}")  # fmt: skip
    ct = Table(title=f"per 1,000 predictions at {pps:.0f} predictions/s per replica")
    for col in ("target", "instance", "$/h", "$/1k", "Wh/1k", "g CO2e/1k"):
        ct.add_column(col)
    for r in costs:
        ct.add_row(r["target"], f"{r['instance_type']} ({r['region']})", f"{r['usd_per_hour']:.4f}",
                  f"{r['usd_per_1000']:.6f}", f"{r['wh_per_1000']:.3f}" if r["wh_per_1000"] else "-",
                  f"{r['g_co2e_per_1000']:.3f}" if r["g_co2e_per_1000"] else "-")  # fmt: skip
    Console().print(t, ct)


if __name__ == "__main__":
    main()
