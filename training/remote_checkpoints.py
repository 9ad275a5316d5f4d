"""Mirror the local checkpoint directory to S3 (`--ckpt-sync s3://bucket/prefix`).

Mountpoint for S3 (the EKS checkpoint volume) cannot rename, and checkpoint.save
writes atomically by renaming, so on EKS checkpoints go to a local directory
and this module copies them, the way SageMaker syncs /opt/ml/checkpoints:

- pull (at start, once per machine: local rank 0 on every node, because every
  rank loads the file rank 0 chooses from its own local --ckpt-dir): download
  the newest remote checkpoint that has a manifest, is newer than the newest
  complete local one, and verifies (size and sha256); the normal resume logic
  then picks it. A data file without its manifest (an upload cut short) is
  never considered.
- push (rank 0, after every save, the SIGTERM one included, before returning):
  upload the data file, then the manifest, then delete remote checkpoints
  beyond the newest `keep` (manifest before data, as locally) and data files
  that no kept manifest names.

- outputs (`RemoteOutputs`, rank 0): the output directory (summary, MLflow store, rank
  files) lives beside the checkpoints at `<uri>/output/`, as it does on the GKE and AKS
  bucket mounts; it is pulled before tracking starts (a restarted pod continues the same
  MLflow run) and pushed when the run ends, stopped by SIGTERM included.

Credentials come from boto3's default chain (EKS Pod Identity, env, profile);
AWS_ENDPOINT_URL_S3 / AWS_ENDPOINT_URL point it elsewhere (tests use moto).
"""

from __future__ import annotations

import logging
import os
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from training import checkpoint

log = logging.getLogger("pioneer.remote_checkpoints")

FORM = "s3://bucket/prefix"
OUTPUT_PREFIX = "output/"
_URI = re.compile(r"^s3://([a-z0-9][a-z0-9.\-]{1,61}[a-z0-9])(?:/(.*))?$")
_FILE = re.compile(r"^step-(\d{8})\.(json|pt)$")


def parse_uri(uri: str) -> tuple[str, str]:
    """`s3://bucket/a/b/` -> ("bucket", "a/b/"); ValueError naming the allowed form otherwise."""
    m = _URI.match(uri)
    if not m:
        raise ValueError(f"must be {FORM} (only S3 is supported), got {uri!r}")
    prefix = (m.group(2) or "").strip("/")
    return m.group(1), f"{prefix}/" if prefix else ""


@dataclass
class RemoteCheckpoints:
    uri: str
    local_dir: Path
    keep: int = 3
    client: Any = None

    def __post_init__(self) -> None:
        self.bucket, self.prefix = parse_uri(self.uri)
        if self.client is None:
            import boto3  # only jobs that sync need it

            self.client = boto3.client("s3")

    def _remote(self) -> dict[int, set[str]]:
        """step -> {"json", "pt"}: what exists under the prefix."""
        found: dict[int, set[str]] = {}
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for obj in page.get("Contents", []):
                name = obj["Key"][len(self.prefix) :]
                if m := _FILE.match(name):
                    found.setdefault(int(m.group(1)), set()).add(m.group(2))
        return found

    def _download(self, name: str) -> None:
        path = self.local_dir / name
        tmp = path.with_name(f".{name}.tmp-{os.getpid()}")
        try:
            self.client.download_file(self.bucket, self.prefix + name, str(tmp))
            os.replace(tmp, path)
        finally:
            tmp.unlink(missing_ok=True)

    def pull(self) -> int | None:
        """Fetch the newest complete remote checkpoint newer than the local ones; its step."""
        local = checkpoint.latest(self.local_dir)
        have = local.step if local else -1
        complete = sorted(
            (s for s, kinds in self._remote().items() if "json" in kinds and s > have), reverse=True
        )
        self.local_dir.mkdir(parents=True, exist_ok=True)
        for step in complete:
            stem = f"step-{step:08d}"
            try:
                self._download(f"{stem}.pt")
                self._download(f"{stem}.json")  # manifest last, as on upload
                checkpoint.verify(self.local_dir / f"{stem}.json")
            except Exception as e:  # noqa: BLE001 - a bad remote copy: try the one before it
                log.warning(
                    "remote checkpoint %s%s unusable (%s); trying an older one",
                    self.uri.rstrip("/") + "/",
                    stem,
                    e,
                )
                for suffix in (".json", ".pt"):  # manifest first, as in checkpoint._prune
                    (self.local_dir / f"{stem}{suffix}").unlink(missing_ok=True)
                continue
            log.info("pulled checkpoint step %d from %s", step, self.uri)
            return step
        log.info(
            "no remote checkpoint in %s newer than the local one (step %s)",
            self.uri,
            have if local else "none",
        )
        return None

    def push(self, ckpt: checkpoint.Checkpoint) -> None:
        """Upload data, then manifest, then apply keep-K retention to the remote side."""
        for path in (ckpt.data, ckpt.manifest):
            self.client.upload_file(str(path), self.bucket, self.prefix + path.name)
        log.info("pushed checkpoint step %d to %s", ckpt.step, self.uri)
        remote = self._remote()
        kept = sorted((s for s, kinds in remote.items() if "json" in kinds), reverse=True)[
            : self.keep
        ]
        doomed = [
            f"step-{s:08d}.{kind}"
            for s in sorted(remote)
            if s not in kept
            for kind in sorted(remote[s])
        ]  # "json" sorts before "pt": manifest first
        for name in doomed:
            self.client.delete_object(Bucket=self.bucket, Key=self.prefix + name)
        if doomed:
            log.info(
                "deleted %d old remote checkpoint file(s) beyond keep=%d", len(doomed), self.keep
            )


@dataclass
class RemoteOutputs:
    """The run's output directory mirrored to `<uri>/output/` (files only, no deletes)."""

    uri: str
    local_dir: Path
    client: Any = None

    def __post_init__(self) -> None:
        self.bucket, prefix = parse_uri(self.uri)
        self.prefix = prefix + OUTPUT_PREFIX
        if self.client is None:
            import boto3

            self.client = boto3.client("s3")

    def pull(self) -> int:
        """Fetch the remote files the local directory lacks; how many."""
        root = self.local_dir.resolve()
        fetched = 0
        pages = self.client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix
        )
        for page in pages:
            for obj in page.get("Contents", []):
                path = (root / obj["Key"][len(self.prefix) :]).resolve()
                if path.exists() or root not in path.parents:  # never outside the directory
                    continue
                path.parent.mkdir(parents=True, exist_ok=True)
                tmp = path.with_name(f".{path.name}.tmp-{os.getpid()}")
                try:
                    self.client.download_file(self.bucket, obj["Key"], str(tmp))
                    os.replace(tmp, path)
                finally:
                    tmp.unlink(missing_ok=True)
                fetched += 1
        if fetched:
            log.info("pulled %d output file(s) from %s%s", fetched, self.uri.rstrip("/"), "/output")
        return fetched

    def push(self, skip: Path | None = None) -> int:
        """Upload every file of the directory, except those under `skip` (a checkpoint
        directory inside it: the checkpoints have their own mirror); how many."""
        skipped = skip.resolve() if skip is not None else None
        sent = 0
        for path in sorted(p for p in self.local_dir.rglob("*") if p.is_file()):
            if skipped is not None and skipped in path.resolve().parents:
                continue
            key = self.prefix + path.relative_to(self.local_dir).as_posix()
            self.client.upload_file(str(path), self.bucket, key)
            sent += 1
        log.info("pushed %d output file(s) to %s/output", sent, self.uri.rstrip("/"))
        return sent
