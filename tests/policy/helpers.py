"""Synthetic plan documents: resources shaped like `pulumi preview --json` steps' newState."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import yaml

from components.policy import evaluate, get_rule
from stacks.config import STACKS_DIR

STACK = "test"
ROOT = f"urn:pulumi:{STACK}::pioneer::pulumi:pulumi:Stack::pioneer-{STACK}"
# An S3 public-access block with every flag on.
ALL_FLAGS = {
    "blockPublicAcls": True,
    "blockPublicPolicy": True,
    "ignorePublicAcls": True,
    "restrictPublicBuckets": True,
}


def res(
    type_: str, name: str, inputs: dict[str, Any] | None = None, **state: Any
) -> dict[str, Any]:
    """One resource's newState; its id is `<name>-id` (what other resources' inputs point at)."""
    return {
        "type": type_,
        "urn": f"urn:pulumi:{STACK}::pioneer::{type_}::{name}",
        "custom": True,
        "id": f"{name}-id",
        "parent": ROOT,
        "inputs": inputs or {},
        **state,
    }


def doc_of(*resources: dict[str, Any], **extra: Any) -> dict[str, Any]:
    root = {"type": "pulumi:pulumi:Stack", "urn": ROOT, "custom": False, "inputs": {}}
    return {
        "steps": [{"op": "create", "urn": r["urn"], "newState": r} for r in (root, *resources)],
        **extra,
    }


def findings(rule_id: str, *resources: dict[str, Any], spec: Any = None, **extra: Any) -> list[str]:
    """Messages of one rule's violations over the given resources."""
    result = evaluate(doc_of(*resources, **extra), spec, rules=[get_rule(rule_id)])
    return [v["message"] for v in result["violations"]]


def urns(rule_id: str, *resources: dict[str, Any], spec: Any = None, **extra: Any) -> list[str]:
    result = evaluate(doc_of(*resources, **extra), spec, rules=[get_rule(rule_id)])
    return [v["urn"] for v in result["violations"]]


def weakened(tmp_path: Path, cloud: str, **changes: Any) -> Path:
    """A temp copy of `<cloud>-dev` with public storage, a $1 budget and an on-demand GPU pool."""
    doc = yaml.safe_load((STACKS_DIR / f"Pulumi.{cloud}-dev.yaml").read_text())
    config = doc["config"]
    config["pioneer:storage"]["public_access"] = True
    config["pioneer:budget"]["monthly_usd"] = 1
    gpu = next(p for p in config["pioneer:node_pools"] if p.get("accelerator"))
    gpu.update(capacity="on_demand", max_nodes=4, **changes)
    path = tmp_path / f"Pulumi.weak-{cloud}.yaml"
    path.write_text(yaml.safe_dump(doc))
    return path


# What every weakened stack must fail with.
EXPECTED = {"storage-no-public-access", "cost-within-budget", "cost-on-demand-gpu-opt-in"}
