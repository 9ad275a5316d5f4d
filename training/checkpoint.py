"""Atomic, verified checkpoints: a run restarted anywhere continues exactly where it stopped.

Layout of a checkpoint directory (any backend; see docs/training.md):

    step-00000120.pt     torch.save of the full training state
    step-00000120.json   manifest, written last: step, file, size, sha256, time

A checkpoint counts only when its manifest exists and the data file has the
recorded size and sha256. Both files are written under a temporary name,
fsynced, then renamed (atomic on POSIX), and the directory is fsynced, so a
kill at any instant leaves either the previous complete checkpoint or the new
one, never a half-written file that looks complete. A damaged newest
checkpoint (truncated upload, bad disk) is skipped with a warning and the one
before it is used.
"""

from __future__ import annotations

import hashlib
import io
import json
import logging
import os
import re
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

import torch

log = logging.getLogger("pioneer.checkpoint")

NAME = re.compile(r"^step-(\d{8})\.json$")
FORMAT_VERSION = 1


class CheckpointError(RuntimeError):
    pass


@dataclass(frozen=True)
class Checkpoint:
    step: int
    data: Path
    manifest: Path
    sha256: str


class _HashingWriter(io.RawIOBase):
    """File wrapper that hashes what torch.save writes, so the file is not read back."""

    def __init__(self, f: BinaryIO):
        self.f = f
        self.sha = hashlib.sha256()
        self.size = 0

    def writable(self) -> bool:
        return True

    def write(self, b: Any) -> int:  # type: ignore[override]
        mv = memoryview(b)
        self.sha.update(mv)
        self.size += mv.nbytes
        return self.f.write(mv)

    def flush(self) -> None:
        self.f.flush()


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _write_atomic(path: Path, write: Any) -> tuple[str, int]:
    tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
    try:
        with open(tmp, "wb") as f:
            w = _HashingWriter(f)
            write(w)
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()
    _fsync_dir(path.parent)
    return w.sha.hexdigest(), w.size


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with open(path, "rb") as f:
        for chunk in iter(lambda: f.read(1 << 20), b""):
            h.update(chunk)
    return h.hexdigest()


def save(ckpt_dir: Path, step: int, state: dict[str, Any], keep: int = 3) -> Checkpoint:
    """Write the state for `step`, manifest last, then drop all but the newest `keep`."""
    if keep < 1:
        raise ValueError(f"keep must be >= 1, got {keep}")
    ckpt_dir.mkdir(parents=True, exist_ok=True)
    data = ckpt_dir / f"step-{step:08d}.pt"
    manifest = ckpt_dir / f"step-{step:08d}.json"
    sha, size = _write_atomic(data, lambda f: torch.save(state, f))
    doc = {
        "format": FORMAT_VERSION,
        "step": step,
        "file": data.name,
        "bytes": size,
        "sha256": sha,
        "written_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
    }
    _write_atomic(manifest, lambda f: f.write(json.dumps(doc, indent=2).encode()))
    _prune(ckpt_dir, keep)
    return Checkpoint(step=step, data=data, manifest=manifest, sha256=sha)


def _manifests(ckpt_dir: Path) -> list[tuple[int, Path]]:
    if not ckpt_dir.is_dir():
        return []
    found = [(int(m.group(1)), p) for p in ckpt_dir.iterdir() if (m := NAME.match(p.name))]
    return sorted(found, reverse=True)


def _prune(ckpt_dir: Path, keep: int) -> None:
    for _, manifest in _manifests(ckpt_dir)[keep:]:
        # Manifest first: a crash in between leaves an orphan data file, never a dangling manifest.
        data = manifest.with_suffix(".pt")
        manifest.unlink(missing_ok=True)
        data.unlink(missing_ok=True)


def verify(manifest: Path) -> Checkpoint:
    """The checkpoint a manifest describes, or CheckpointError saying what is wrong."""
    try:
        doc = json.loads(manifest.read_text())
        step, name, size, sha = int(doc["step"]), doc["file"], int(doc["bytes"]), doc["sha256"]
    except (OSError, ValueError, KeyError, TypeError) as e:
        raise CheckpointError(f"{manifest.name}: unreadable manifest ({e})") from None
    data = manifest.parent / name
    if not data.is_file():
        raise CheckpointError(f"{manifest.name}: data file {name} is missing")
    actual = data.stat().st_size
    if actual != size:
        raise CheckpointError(f"{name}: {actual} bytes, manifest says {size} (truncated?)")
    if file_sha256(data) != sha:
        raise CheckpointError(f"{name}: sha256 does not match the manifest (damaged)")
    return Checkpoint(step=step, data=data, manifest=manifest, sha256=sha)


def candidates(ckpt_dir: Path) -> Iterator[Checkpoint]:
    """Complete checkpoints, newest first; damaged ones are skipped with a warning."""
    for _, manifest in _manifests(ckpt_dir):
        try:
            yield verify(manifest)
        except CheckpointError as e:
            log.warning("skipping damaged checkpoint: %s; falling back to an older one", e)


def latest(ckpt_dir: Path) -> Checkpoint | None:
    return next(candidates(ckpt_dir), None)


def load(ckpt: Checkpoint, map_location: str | torch.device = "cpu") -> dict[str, Any]:
    # weights_only=False: the state holds RNG states (numpy tuples) and python objects we wrote.
    return torch.load(ckpt.data, map_location=map_location, weights_only=False)
