"""Whole-process start-up of the CLI: `pioneer --help` and `pioneer optimize`, median of N runs.

Run: .venv/bin/python benchmarks/startup.py [--runs N]  (prints figures; asserts nothing)

Each run is a fresh interpreter, as a user's shell starts it. With `--importtime CMD`
it prints the slowest imports of one command instead (`python -X importtime`).
"""

from __future__ import annotations

import argparse
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENTRY = "from stacks.cli import main; main()"
COMMANDS = {
    "pioneer --help": ["--help"],
    "pioneer optimize": [
        "optimize",
        "examples/reference-workload.yaml",
        "--cloud",
        "aws",
        "--json",
    ],
    "pioneer plan --help": ["plan", "--help"],
}
TARGETS = {"pioneer --help": 0.3, "pioneer optimize": 0.6}


def _env() -> dict[str, str]:
    return {**os.environ, "PYTHONPATH": str(ROOT), "COLUMNS": "120"}


def time_once(args: list[str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the child): CPU time says more on a loaded machine."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(
        [sys.executable, "-c", ENTRY, *args],
        cwd=ROOT,
        env=_env(),
        check=True,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)


def importtime(args: list[str], top: int = 15) -> None:
    proc = subprocess.run(
        [sys.executable, "-X", "importtime", "-c", ENTRY, *args],
        cwd=ROOT,
        env=_env(),
        capture_output=True,
        text=True,
    )
    rows = []
    for line in proc.stderr.splitlines():
        if line.startswith("import time:") and "|" in line:
            _, cumulative, name = line[len("import time:") :].split("|")
            if cumulative.strip().isdigit():
                rows.append((int(cumulative), name.rstrip()))
    for us, name in sorted(rows, reverse=True)[:top]:
        print(f"{us / 1e6:7.3f} s  {name}")


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--runs", type=int, default=7)
    ap.add_argument("--importtime", choices=sorted(COMMANDS), help="where one command's time goes")
    a = ap.parse_args()
    if a.importtime:
        importtime(COMMANDS[a.importtime])
        return
    print(
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {platform.node()}, {os.cpu_count()} CPUs, "
        f"load {os.getloadavg()[0]:.1f}, Python {platform.python_version()}, "
        f"median of {a.runs} fresh processes"
    )
    for name, args in COMMANDS.items():
        time_once(args)  # warm the file cache and .pyc files
        runs = [time_once(args) for _ in range(a.runs)]
        wall = statistics.median(w for w, _ in runs)
        cpu = statistics.median(c for _, c in runs)
        target = TARGETS.get(name)
        goal = f"  (target < {target:.1f} s wall on an idle machine)" if target else ""
        print(f"{name:22s} wall {wall:6.3f} s  cpu {cpu:6.3f} s{goal}")


if __name__ == "__main__":
    main()
