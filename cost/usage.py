"""Usage assumptions for the estimate, like Infracost's usage file.

A plan says what exists; what it costs also depends on how much it is used:
hours a scaled-to-zero GPU pool runs, GB kept in a bucket, GB sent to the
internet. Those figures come from a usage file next to the stack config,
``stacks/usage.<stack>.yaml``::

    hours_per_month: 730          # hours an always-on resource runs (default 730)
    resources:
      train-h100:                 # a resource name, or a dash-separated part of one
        nodes: 2                  # average running nodes (default: the desired size)
        hours: 120                # hours per month those nodes run (default 730)
      data:
        storage_gb: 2000
        egress_gb: 50

Keys not given fall back to `DEFAULTS` (documented in docs/readme/cost.md).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from cost.input_file import parse_yaml, read_input
from stacks.config import STACKS_DIR

# Usage keys per kind of resource, with the default used when the file says nothing.
DEFAULTS: dict[str, float] = {
    "storage_gb": 100.0,  # object storage kept per bucket / storage account
    "egress_gb": 0.0,  # internet egress per bucket / storage account
    "write_requests_k": 0.0,  # thousands of PUT/class A/write operations per month
    "read_requests_k": 0.0,  # thousands of GET/class B/read operations per month
    "nat_data_gb": 100.0,  # GB processed per NAT gateway
    "endpoint_data_gb": 10.0,  # GB through each private / interface endpoint
    "log_ingest_gb": 5.0,  # GB of logs ingested per log group / workspace
    "log_storage_gb": 5.0,  # GB of logs stored (CloudWatch)
    "registry_storage_gb": 10.0,  # GB of images per registry / repository
    "kms_requests_10k": 0.0,  # tens of thousands of key operations
    "vault_operations_10k": 10.0,  # Key Vault operations, in 10k
    "vertex_storage_gb": 1.0,  # GiB in a Vertex TensorBoard / metadata store
}
# Keys for node pools and other per-hour resources (their defaults come from the plan).
POOL_KEYS = ("nodes", "hours")
ALLOWED_KEYS = (*POOL_KEYS, *DEFAULTS)


class UsageError(ValueError):
    """A usage file that cannot be read; the message names the key and what is allowed."""


@dataclass
class Usage:
    hours_per_month: float = 730.0
    resources: dict[str, dict[str, float]] = field(default_factory=dict)
    source: str = "defaults"
    """Where the figures came from: a file path, or 'defaults'."""

    def for_resource(self, name: str) -> dict[str, float]:
        """The usage entry for a resource: exact name first, else the longest key that appears
        in the name between dashes (``train-h100`` matches ``mlp-aws-cluster-train-h100-ng``)."""
        if name in self.resources:
            return self.resources[name]
        matches = [k for k in self.resources if _matches(k, name)]
        return self.resources[max(matches, key=len)] if matches else {}

    def check_names(self, names: Iterable[str]) -> None:
        """Every key must match a resource: a typo would otherwise price nothing, silently."""
        names = sorted(set(names))
        bad = [k for k in self.resources if not any(_matches(k, n) for n in names)]
        if bad:
            raise UsageError(
                f"{self.source}: resources: {', '.join(bad)} match(es) no resource of the plan "
                f"(a key is a resource name or a dash-separated part of one); "
                f"resources: {', '.join(names)}"
            )

    def check_pools(self, spec: Any) -> None:
        """`nodes` within each pool's min_nodes..max_nodes (the autoscaler never goes beyond)."""
        errs = []
        for pool in spec.node_pools:
            nodes = self.for_resource(pool.name).get("nodes")
            if nodes is not None and not pool.min_nodes <= nodes <= pool.max_nodes:
                errs.append(
                    f"{self.source}: resources.{pool.name}.nodes: {nodes:g} is outside the "
                    f"pool's min_nodes..max_nodes ({pool.min_nodes}..{pool.max_nodes})"
                )
        if errs:
            raise UsageError("; ".join(errs))

    def value(self, name: str, key: str) -> tuple[float, bool]:
        """(value, from_usage) for a usage key; from_usage False means the documented default."""
        entry = self.for_resource(name)
        if key in entry:
            return entry[key], True
        return DEFAULTS[key], False


def _matches(key: str, name: str) -> bool:
    return key == name or f"-{key}-" in f"-{name}-"


def parse_usage(doc: Any, source: str = "usage") -> Usage:
    if doc is None:
        return Usage(source=source)
    if not isinstance(doc, Mapping):
        raise UsageError(f"{source}: expected a mapping with 'hours_per_month' and 'resources'")
    unknown = set(doc) - {"hours_per_month", "resources", "version"}
    if unknown:
        raise UsageError(
            f"{source}: unknown key(s) {', '.join(sorted(unknown))}; "
            f"allowed: hours_per_month, resources, version"
        )
    hours = _number(doc.get("hours_per_month", 730), f"{source}: hours_per_month", 0, 744)
    resources: dict[str, dict[str, float]] = {}
    raw = doc.get("resources") or {}
    if not isinstance(raw, Mapping):
        raise UsageError(f"{source}: resources: expected a mapping of resource name -> usage")
    for name, entry in raw.items():
        if not isinstance(entry, Mapping):
            raise UsageError(f"{source}: resources.{name}: expected a mapping of usage keys")
        bad = set(entry) - set(ALLOWED_KEYS)
        if bad:
            raise UsageError(
                f"{source}: resources.{name}: unknown key(s) "
                f"{', '.join(sorted(bad))}; allowed: {', '.join(ALLOWED_KEYS)}"
            )
        resources[str(name)] = {
            k: _number(v, f"{source}: resources.{name}.{k}", 0, 744 if k == "hours" else None)
            for k, v in entry.items()
        }
    return Usage(hours_per_month=hours, resources=resources, source=source)


def _number(v: Any, where: str, lo: float, hi: float | None) -> float:
    if isinstance(v, bool) or not isinstance(v, (int, float)):
        raise UsageError(f"{where}: expected a number, got {v!r}")
    if v < lo or (hi is not None and v > hi):
        raise UsageError(f"{where}: {v} is out of range; allowed: {lo}..{hi if hi else 'any'}")
    return float(v)


def usage_path_for(stack: str, directory: Path = STACKS_DIR) -> Path:
    return directory / f"usage.{stack}.yaml"


def load_usage(
    path: Path | str | None = None, *, stack: str | None = None, directory: Path = STACKS_DIR
) -> Usage:
    """Read a usage file; with only `stack`, ``<directory>/usage.<stack>.yaml`` if present
    (the folder of the stack config), else the defaults."""
    if path is None and stack is not None:
        p = usage_path_for(stack, directory)
        if not p.exists():
            return Usage()
        path = p
    if path is None:
        return Usage()
    path = Path(path)
    text = read_input(path, "usage file")
    try:
        doc = parse_yaml(text)
    except yaml.YAMLError as e:
        raise UsageError(f"{path}: not valid YAML ({e})") from None
    return parse_usage(doc, _display(path))


def _display(path: Path) -> str:
    """The path relative to the working directory when it is under it (shorter in reports)."""
    try:
        return str(path.resolve().relative_to(Path.cwd().resolve()))
    except ValueError:
        return str(path)


def as_usage(usage: Usage | Mapping[str, Any] | None) -> Usage:
    if usage is None:
        return Usage()
    if isinstance(usage, Usage):
        return usage
    return parse_usage(usage)
