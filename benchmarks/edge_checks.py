"""How fast the config edge refuses oversized input (prints figures only).

.venv/bin/python benchmarks/edge_checks.py [--tags 60000]

Writes an aws-dev copy with N tags to a temp folder and times `spec_from_stack` until its
SpecError (CPU seconds, so a busy machine does not inflate the figure).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import yaml


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tags", type=int, default=60_000, help="tags in the config")
    args = parser.parse_args()
    from components.spec import SpecError
    from stacks.config import STACKS_DIR, spec_from_stack

    doc = yaml.safe_load((STACKS_DIR / "Pulumi.aws-dev.yaml").read_text())
    doc["config"]["pioneer:tags"] = {f"k{i}": "v" for i in range(args.tags)}
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "Pulumi.many-tags.yaml"
        path.write_text(yaml.safe_dump(doc))
        size = path.stat().st_size
        start = time.process_time()
        try:
            spec_from_stack(path)
            outcome = "accepted"
        except SpecError as e:
            outcome = "refused: " + e.errors[0][:70]
        took = time.process_time() - start
    print(f"{args.tags} tags ({size / 2**20:.2f} MiB config): {outcome}")
    print(f"time to the answer        {took:6.2f} CPU s")


if __name__ == "__main__":
    main()
