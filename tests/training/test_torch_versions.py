"""The training code against the torch of every backend's default image (training.images)."""

from __future__ import annotations

import inspect
import re
from pathlib import Path
from typing import Any

import pytest
import torch

from training import distributed
from training.distributed import DistEnv
from training.images import DEFAULT_IMAGES

REPO = Path(__file__).resolve().parents[2]
calls: list[dict[str, Any]] = []


# init_process_group's parameters as released: torch <= 2.2, and from 2.3 on (device_id added).
PARAMS_2_2 = (
    "backend",
    "init_method",
    "timeout",
    "world_size",
    "rank",
    "store",
    "group_name",
    "pg_options",
)
PARAMS_2_3 = (*PARAMS_2_2, "device_id")


def fake_init_process_group(params: tuple[str, ...]) -> Any:
    """A stand-in with that release's signature, raising TypeError as it would on others."""

    def init(**kwargs: Any) -> None:
        for name in kwargs:
            if name not in params:
                raise TypeError(f"init_process_group() got an unexpected keyword argument {name!r}")
        calls.append(kwargs)

    init.__signature__ = inspect.Signature(  # type: ignore[attr-defined]
        [inspect.Parameter(p, inspect.Parameter.KEYWORD_ONLY, default=None) for p in params]
    )
    return init


def _version(text: str) -> tuple[int, int]:
    major, minor = text.split(".")[:2]
    return int(major), int(minor)


@pytest.mark.parametrize("backend", sorted(DEFAULT_IMAGES))
def test_process_group_starts_on_each_default_images_torch(
    backend: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    new_enough = _version(DEFAULT_IMAGES[backend].torch) >= (2, 3)
    monkeypatch.setattr(
        distributed.dist,
        "init_process_group",
        fake_init_process_group(PARAMS_2_3 if new_enough else PARAMS_2_2),
    )
    monkeypatch.setattr(torch.cuda, "set_device", lambda device: None)
    calls.clear()
    env = DistEnv(rank=0, local_rank=0, world_size=2, master_addr="127.0.0.1", master_port=29500)
    distributed.init(env, torch.device("cuda", 0))  # TypeError on torch 2.2 before the fix
    (call,) = calls
    assert call["backend"] == "nccl"
    assert call.get("device_id") == (torch.device("cuda", 0) if new_enough else None)


def test_the_table_matches_the_images_backends_use() -> None:
    from training.backends import azureml, sagemaker, vertex

    dockerfile = (REPO / "training" / "Dockerfile").read_text()
    assert f"ARG BASE={DEFAULT_IMAGES['kubernetes'].uri}\n" in dockerfile
    assert DEFAULT_IMAGES["azureml"].uri == azureml.ENVIRONMENT
    assert DEFAULT_IMAGES["vertex"].uri == vertex.GPU_IMAGE
    assert DEFAULT_IMAGES["sagemaker"].torch == sagemaker.PYTORCH_VERSION
    # Where the URI names the torch it carries, the table says the same.
    for name, image in DEFAULT_IMAGES.items():
        named = re.search(r"pytorch[-a-z]*[.:-](\d+)[.-](\d+)", image.uri)
        if named:
            assert (int(named[1]), int(named[2])) == _version(image.torch), name
