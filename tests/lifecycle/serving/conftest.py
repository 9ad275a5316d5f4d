"""One registry with two digits versions for every serving test (MLflow start-up is slow)."""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Iterator

import pytest

from lifecycle.registry import Registry
from lifecycle.store import Store


@pytest.fixture(scope="session")
def registry_store(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, Store]:
    """A store with pioneer-digits v1 (production) and v2 (candidate)."""
    from lifecycle.serving.sample_model import register_digits

    logging.getLogger("mlflow").setLevel(logging.ERROR)
    store = Store(tmp_path_factory.mktemp("lifecycle"))
    uri, v1 = register_digits(store, steps=300, seed=0)
    _, v2 = register_digits(store, steps=300, seed=1)
    reg = Registry(uri)
    reg.set_alias("pioneer-digits", "production", v1)
    reg.set_alias("pioneer-digits", "candidate", v2)
    return uri, store


class RunningServer:
    def __init__(self, app: object):
        from lifecycle.serving.server import make_server

        self.server = make_server(app, port=0)
        self.thread = threading.Thread(target=self.server.run, daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 30
        while not self.server.started:
            if time.monotonic() > deadline or not self.thread.is_alive():
                raise RuntimeError("server did not start")
            time.sleep(0.02)
        port = self.server.servers[0].sockets[0].getsockname()[1]
        self.url = f"http://127.0.0.1:{port}"

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=30)


@pytest.fixture
def serve() -> Iterator[type[RunningServer]]:
    started: list[RunningServer] = []

    def start(app: object) -> RunningServer:
        s = RunningServer(app)
        started.append(s)
        return s

    yield start  # type: ignore[misc]
    for s in started:
        s.stop()
