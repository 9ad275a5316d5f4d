"""Checkpoint files: atomic layout, retention, and falling back past a damaged newest one."""

from __future__ import annotations

import json
import logging
from pathlib import Path

import pytest
import torch

from training import checkpoint
from training.weights import state_sha256


def _state(step: int) -> dict:
    return {"step": step, "model": {"w": torch.full((64, 64), float(step))}}


def test_round_trip_and_manifest(tmp_path: Path) -> None:
    ck = checkpoint.save(tmp_path, 7, _state(7))
    doc = json.loads(ck.manifest.read_text())
    assert doc["step"] == 7 and doc["file"] == "step-00000007.pt"
    assert doc["bytes"] == ck.data.stat().st_size
    assert doc["sha256"] == checkpoint.file_sha256(ck.data)
    loaded = checkpoint.load(checkpoint.latest(tmp_path))
    assert loaded["step"] == 7 and torch.equal(loaded["model"]["w"], _state(7)["model"]["w"])
    assert not [p for p in tmp_path.iterdir() if ".tmp-" in p.name]


def test_keeps_only_the_newest_k(tmp_path: Path) -> None:
    for step in (10, 20, 30, 40):
        checkpoint.save(tmp_path, step, _state(step), keep=2)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "step-00000030.json",
        "step-00000030.pt",
        "step-00000040.json",
        "step-00000040.pt",
    ]


def test_truncated_newest_falls_back_to_previous(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for step in (10, 20, 30):
        checkpoint.save(tmp_path, step, _state(step))
    newest = tmp_path / "step-00000030.pt"
    newest.write_bytes(newest.read_bytes()[: newest.stat().st_size // 2])
    with caplog.at_level(logging.WARNING, logger="pioneer.checkpoint"):
        ck = checkpoint.latest(tmp_path)
    assert ck is not None and ck.step == 20
    assert checkpoint.load(ck)["step"] == 20
    assert "step-00000030.pt" in caplog.text and "truncated" in caplog.text


def test_same_size_corruption_is_caught_by_the_hash(tmp_path: Path) -> None:
    checkpoint.save(tmp_path, 1, _state(1))
    checkpoint.save(tmp_path, 2, _state(2))
    data = bytearray((tmp_path / "step-00000002.pt").read_bytes())
    data[len(data) // 2] ^= 0xFF
    (tmp_path / "step-00000002.pt").write_bytes(bytes(data))
    with pytest.raises(checkpoint.CheckpointError, match="sha256"):
        checkpoint.verify(tmp_path / "step-00000002.json")
    assert checkpoint.latest(tmp_path).step == 1


def test_data_without_manifest_is_not_a_checkpoint(tmp_path: Path) -> None:
    """A kill between the data rename and the manifest leaves a file that must not be used."""
    checkpoint.save(tmp_path, 5, _state(5))
    torch.save(_state(9), tmp_path / "step-00000009.pt")
    (tmp_path / ".step-00000010.pt.tmp-123").write_bytes(b"partial")
    assert checkpoint.latest(tmp_path).step == 5


def test_empty_or_missing_directory_has_no_checkpoint(tmp_path: Path) -> None:
    assert checkpoint.latest(tmp_path / "nope") is None
    assert checkpoint.latest(tmp_path) is None


def test_keep_must_be_positive(tmp_path: Path) -> None:
    with pytest.raises(ValueError, match="keep"):
        checkpoint.save(tmp_path, 1, _state(1), keep=0)


def test_weights_hash_is_order_independent_and_sensitive_to_one_bit() -> None:
    a = {"b": torch.arange(6.0).reshape(2, 3), "a": torch.ones(3, dtype=torch.bfloat16)}
    reordered = {"a": a["a"].clone(), "b": a["b"].t().contiguous().t()}  # non-contiguous view
    assert state_sha256(a) == state_sha256(reordered)
    changed = {"a": a["a"], "b": a["b"].clone()}
    changed["b"][1, 2] = torch.nextafter(changed["b"][1, 2], torch.tensor(100.0))
    assert state_sha256(a) != state_sha256(changed)
