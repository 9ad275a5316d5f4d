"""Content hashes: the cache key of every pipeline step and the links of its lineage."""

from __future__ import annotations

import hashlib
import json
import subprocess
from pathlib import Path
from typing import Any

CHUNK = 1 << 20


def file_sha256(path: Path) -> str:
    h = hashlib.sha256()
    with Path(path).open("rb") as f:
        while chunk := f.read(CHUNK):
            h.update(chunk)
    return h.hexdigest()


def tree_sha256(root: Path, pattern: str = "**/*") -> str:
    """One hash over every file's relative path and content (sorted), e.g. a source folder."""
    h = hashlib.sha256()
    root = Path(root)
    for p in sorted(q for q in root.glob(pattern) if q.is_file() and "__pycache__" not in q.parts):
        h.update(p.relative_to(root).as_posix().encode() + b"\0")
        h.update(file_sha256(p).encode() + b"\n")
    return h.hexdigest()


def json_sha256(doc: Any) -> str:
    return hashlib.sha256(
        json.dumps(doc, sort_keys=True, separators=(",", ":"), default=str).encode()
    ).hexdigest()


def code_revision(repo: Path) -> dict[str, Any]:
    """The git commit of `repo` and whether its tree had uncommitted changes."""

    def git(*args: str) -> str | None:
        try:
            out = subprocess.run(
                ["git", *args], cwd=repo, capture_output=True, text=True, timeout=10
            )
        except (OSError, subprocess.SubprocessError):
            return None
        return out.stdout.strip() if out.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit, "dirty": bool(status) if status is not None else None}
