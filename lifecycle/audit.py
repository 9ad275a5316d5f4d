"""Append-only audit log: who did what to which model, when and why.

One JSON object per line. Each entry carries the SHA-256 of the previous
entry (`prev`) and its own (`hash`, over the canonical JSON of every other
field), so editing or deleting an entry breaks the chain. A chain alone cannot
show that the newest entries were cut off, so a small head file beside the log
records the last sequence number and hash; `verify()` checks both.
"""

from __future__ import annotations

import getpass
import hashlib
import json
import os
import socket
import subprocess
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

GENESIS = "0" * 64
ACTIONS = ("register", "promote", "reject", "rollback", "deploy", "undeploy", "alert", "retrain")


def _canonical(entry: dict[str, Any]) -> bytes:
    return json.dumps(entry, sort_keys=True, separators=(",", ":"), default=str).encode()


def entry_hash(entry: dict[str, Any]) -> str:
    return hashlib.sha256(_canonical({k: v for k, v in entry.items() if k != "hash"})).hexdigest()


def current_actor() -> str:
    """PIONEER_ACTOR, else the git identity, else user@host (what a CI job or a person is)."""
    if actor := os.environ.get("PIONEER_ACTOR"):
        return actor
    try:
        email = subprocess.run(
            ["git", "config", "user.email"], capture_output=True, text=True, timeout=5
        ).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        email = ""
    if email:
        return email
    return f"{getpass.getuser()}@{socket.gethostname()}"


@dataclass
class Verification:
    ok: bool
    entries: int
    problems: list[str] = field(default_factory=list)


class AuditLog:
    def __init__(self, path: Path):
        self.path = Path(path)
        self.head_path = self.path.with_name(self.path.name + ".head")

    def entries(self) -> list[dict[str, Any]]:
        if not self.path.exists():
            return []
        lines = self.path.read_text(encoding="utf-8").splitlines()
        return [json.loads(line) for line in lines if line.strip()]

    def append(
        self,
        action: str,
        subject: str,
        reason: str,
        details: dict[str, Any] | None = None,
        actor: str | None = None,
    ) -> dict[str, Any]:
        """Add one entry (action: one of ACTIONS; subject: e.g. `digits:3`); returns it."""
        if action not in ACTIONS:
            raise ValueError(f"audit action {action!r} is not one of {', '.join(ACTIONS)}")
        previous = self.entries()
        last = previous[-1] if previous else None
        entry: dict[str, Any] = {
            "seq": (last["seq"] + 1) if last else 0,
            "time": datetime.now(UTC).isoformat(timespec="seconds"),
            "actor": actor or current_actor(),
            "action": action,
            "subject": subject,
            "reason": reason,
            "details": details or {},
            "prev": last["hash"] if last else GENESIS,
        }
        entry["hash"] = entry_hash(entry)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with self.path.open("a", encoding="utf-8") as f:
            f.write(json.dumps(entry, sort_keys=True, default=str) + "\n")
            f.flush()
            os.fsync(f.fileno())
        tmp = self.head_path.with_suffix(".tmp")
        tmp.write_text(json.dumps({"seq": entry["seq"], "hash": entry["hash"]}), encoding="utf-8")
        os.replace(tmp, self.head_path)
        return entry

    def verify(self) -> Verification:
        try:
            entries = self.entries()
        except json.JSONDecodeError as err:
            return Verification(False, 0, [f"{self.path}: a line is not JSON ({err})"])
        problems: list[str] = []
        prev = GENESIS
        for i, e in enumerate(entries):
            if e.get("seq") != i:
                problems.append(f"entry {i}: sequence number {e.get('seq')} (an entry is missing)")
            if e.get("prev") != prev:
                problems.append(
                    f"entry {i}: does not follow the entry before it (edited or removed)"
                )
            if entry_hash(e) != e.get("hash"):
                problems.append(f"entry {i}: content does not match its hash (edited)")
            prev = e.get("hash", "")
        if self.head_path.exists():
            head = json.loads(self.head_path.read_text(encoding="utf-8"))
            last = entries[-1] if entries else {"seq": -1, "hash": GENESIS}
            if head.get("seq") != last.get("seq") or head.get("hash") != last.get("hash"):
                problems.append(
                    f"the log ends at entry {last.get('seq')} but its head records entry "
                    f"{head.get('seq')} (newest entries removed)"
                )
        elif entries:
            problems.append(f"{self.head_path.name} is missing (cannot tell if entries were cut)")
        return Verification(not problems, len(entries), problems)
