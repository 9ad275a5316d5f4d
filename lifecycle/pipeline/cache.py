"""The step cache: a step's outputs under `<store>/cache/<step>/<key>/`, keyed by input hashes.

A step's key is the hash of everything it reads (data digest, config, code,
the upstream step's output digests), so an unchanged input set finds its
earlier outputs and a changed one cannot. A step writes into a work folder
that is renamed into place only when it finished: a crashed step leaves no
entry behind.
"""

from __future__ import annotations

import json
import os
import shutil
from pathlib import Path
from typing import Any

from lifecycle.digest import json_sha256

OUTPUTS = "outputs.json"


class StepCache:
    def __init__(self, root: Path):
        self.root = Path(root)

    @staticmethod
    def key(step: str, inputs: dict[str, Any]) -> str:
        return json_sha256({"step": step, "inputs": inputs})

    def path(self, step: str, key: str) -> Path:
        return self.root / step / key

    def load(self, step: str, key: str) -> dict[str, Any] | None:
        f = self.path(step, key) / OUTPUTS
        return json.loads(f.read_text(encoding="utf-8")) if f.is_file() else None

    def workdir(self, step: str, key: str) -> Path:
        work = self.root / step / f"{key}.partial-{os.getpid()}"
        shutil.rmtree(work, ignore_errors=True)
        work.mkdir(parents=True)
        return work

    def commit(self, step: str, key: str, work: Path, outputs: dict[str, Any]) -> Path:
        (work / OUTPUTS).write_text(json.dumps(outputs, indent=2, default=str), encoding="utf-8")
        final = self.path(step, key)
        shutil.rmtree(final, ignore_errors=True)
        os.replace(work, final)
        return final
