"""On a Vertex AI replica: this node's rank and the chief's address, as shell assignments.

    node_env="$(python3 -m training.vertex_cluster --nodes 2)" && eval "$node_env"

Vertex sets RANK/MASTER_ADDR/MASTER_PORT for its prebuilt PyTorch images, and
CLUSTER_SPEC (JSON: the replicas of each worker pool and this replica's pool
and index) for every container. Guessing rank 0 on 127.0.0.1 when neither is
there would make every node its own chief and hang at rendezvous, so a
multi-node job without either stops here with a message instead.
"""

from __future__ import annotations

import argparse
import json
import os
import shlex
import sys
from collections.abc import Mapping

DEFAULT_PORT = 29500


class ClusterSpecError(ValueError):
    pass


def node_env(nodes: int, environ: Mapping[str, str]) -> dict[str, str]:
    """NODE_RANK, MASTER_ADDR and MASTER_PORT for torchrun on this replica."""
    port = environ.get("MASTER_PORT") or ""
    if environ.get("RANK") and environ.get("MASTER_ADDR"):
        rank, addr = environ["RANK"], environ["MASTER_ADDR"]
    elif environ.get("CLUSTER_SPEC"):
        node_rank, addr, spec_port = _from_cluster_spec(environ["CLUSTER_SPEC"], nodes)
        rank, port = str(node_rank), port or spec_port
    elif nodes == 1:
        rank, addr = "0", "127.0.0.1"
    else:
        raise ClusterSpecError(
            f"CLUSTER_SPEC: a {nodes}-node job needs RANK and MASTER_ADDR or CLUSTER_SPEC "
            "from Vertex AI, and neither is set; without them every node would wait for "
            "itself as the chief"
        )
    return {"NODE_RANK": str(rank), "MASTER_ADDR": addr, "MASTER_PORT": port or str(DEFAULT_PORT)}


def _from_cluster_spec(raw: str, nodes: int) -> tuple[int, str, str]:
    try:
        spec = json.loads(raw)
        cluster, task = spec["cluster"], spec["task"]
        pools = sorted(cluster, key=lambda name: int(name.removeprefix("workerpool")))
        index = int(task["index"])
        before = sum(len(cluster[p]) for p in pools[: pools.index(task["type"])])
        chief = cluster["workerpool0"][0]
    except (ValueError, KeyError, TypeError, IndexError) as e:
        raise ClusterSpecError(
            f"CLUSTER_SPEC: not the Vertex AI form "
            f'{{"cluster": {{"workerpool0": ["host:port"], ...}}, '
            f'"task": {{"type": "workerpool0", "index": 0}}}} ({type(e).__name__}: {e})'
        ) from None
    total = sum(len(cluster[p]) for p in pools)
    if total != nodes:
        raise ClusterSpecError(f"CLUSTER_SPEC: lists {total} replicas, the job has {nodes} nodes")
    host, _, port = chief.rpartition(":")
    return before + index, host or chief, port if host else ""


def main(argv: list[str] | None = None) -> int:
    p = argparse.ArgumentParser(prog="training.vertex_cluster", description=__doc__.split("\n")[0])
    p.add_argument("--nodes", type=int, required=True)
    args = p.parse_args(argv)
    try:
        values = node_env(args.nodes, os.environ)
    except ClusterSpecError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    print("\n".join(f"{k}={shlex.quote(v)}" for k, v in values.items()))
    return 0


if __name__ == "__main__":
    sys.exit(main())
