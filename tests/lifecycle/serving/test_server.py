"""The local server: correct predictions, 4xx on malformed input, capture, bursts, shutdown."""

from __future__ import annotations

import json
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest
import torch

from lifecycle import capture
from lifecycle.serving.server import build_app, load_predictor
from training.data import digits


@pytest.fixture(scope="module")
def predictor(registry_store):
    return load_predictor(registry_store[0], "pioneer-digits:production")


@pytest.fixture(scope="module")
def test_split():
    x, y = digits().test.tensors
    return x, y


def test_the_server_answers_correct_digit_predictions(predictor, test_split, serve, tmp_path):
    x, y = test_split
    srv = serve(build_app(predictor, tmp_path / "c.jsonl"))
    r = httpx.post(f"{srv.url}/invocations", json={"inputs": x.tolist()}, timeout=30)
    assert r.status_code == 200
    pred = torch.tensor(r.json()["predictions"])
    with torch.inference_mode():
        local = predictor.module(x).argmax(1)
    assert torch.equal(pred, local)  # the served answer is the model's answer
    assert (pred == y).float().mean().item() > 0.9  # and the model is a real digits classifier
    assert httpx.get(f"{srv.url}/ping").json()["version"] == predictor.version


@pytest.mark.parametrize(
    ("body", "content_type", "says"),
    [
        ("{not json", "application/json", "JSON"),
        (json.dumps({"inputs": [[0.0] * 3]}), "application/json", "takes 64 per row"),
        (json.dumps({"inputs": [["a"] * 64]}), "application/json", "number"),
        (json.dumps({"inputs": []}), "application/json", "at least 1"),
        (json.dumps({"foo": [[0.0] * 64]}), "application/json", "not permitted"),
        (
            json.dumps({"inputs": [[0.0] * 64], "instances": [[0.0] * 64]}),
            "application/json",
            "exactly one",
        ),
        ('{"inputs": [[NaN' + ", 0" * 63 + "]]}", "application/json", "finite"),
        (json.dumps([1, 2]), "application/json", "dictionary"),
        ("0,1,2", "text/csv", ""),
    ],
)
def test_malformed_input_gets_a_clear_4xx_and_the_server_keeps_serving(
    predictor, serve, tmp_path, body, content_type, says
):
    srv = serve(build_app(predictor, tmp_path / "c.jsonl"))
    r = httpx.post(f"{srv.url}/invocations", content=body, headers={"content-type": content_type})
    assert 400 <= r.status_code < 500, r.text
    assert says.lower() in r.text.lower()
    ok = httpx.post(f"{srv.url}/invocations", json={"instances": [[0.0] * 64]})
    assert ok.status_code == 200


def test_requests_and_responses_are_captured_in_the_capture_format(predictor, serve, tmp_path):
    path = tmp_path / "capture" / "digits.jsonl"
    srv = serve(build_app(predictor, path, variant="blue"))
    rows = [[float(i % 17) / 16] * 64 for i in range(3)]
    answer = httpx.post(f"{srv.url}/invocations", json={"inputs": rows}).json()
    httpx.post(f"{srv.url}/invocations", json={"inputs": [[1.0]]})
    records = list(capture.read(path))
    assert [r.meta["status"] for r in records] == [200, 422]
    assert records[0].inputs == {"inputs": rows}
    assert records[0].outputs["predictions"] == answer["predictions"]
    assert records[0].meta["variant"] == "blue" and records[0].meta["latency_ms"] > 0
    assert records[1].outputs is None


def test_capture_samples_the_configured_share(predictor, serve, tmp_path):
    path = tmp_path / "c.jsonl"
    srv = serve(build_app(predictor, path, sample_percent=25, seed=7))
    with httpx.Client() as c:
        for _ in range(100):
            c.post(f"{srv.url}/invocations", json={"inputs": [[0.5] * 64]})
    n = len(path.read_text().splitlines())
    assert 10 <= n <= 40  # 25 % of 100; a seeded sampler, not a coin flip per run


def test_the_server_survives_a_burst_from_concurrent_clients_and_shuts_down_gracefully(
    predictor, test_split, serve, tmp_path
):
    x, _ = test_split
    path = tmp_path / "c.jsonl"
    srv = serve(build_app(predictor, path))

    def client(k: int) -> list[int]:
        with httpx.Client(timeout=30) as c:
            return [
                c.post(f"{srv.url}/invocations", json={"inputs": x[k : k + 4].tolist()}).status_code
                for _ in range(25)
            ]

    with ThreadPoolExecutor(8) as pool:
        codes = [c for cs in pool.map(client, range(8)) for c in cs]
    assert codes == [200] * 200
    assert httpx.get(f"{srv.url}/health").status_code == 200
    srv.stop()
    assert not srv.thread.is_alive()
    assert len(list(capture.read(path))) == 200  # every request in flight was finished and captured
    with pytest.raises(httpx.ConnectError):
        httpx.get(f"{srv.url}/health")
