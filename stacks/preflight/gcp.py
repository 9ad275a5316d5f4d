"""GCP: Compute Engine GPU, TPU and vCPU quotas (regional metrics and the global GPUS_ALL_REGIONS).

Metric names as `gcloud compute regions describe REGION` and `gcloud compute
project-info describe` list them. A spot VM uses the PREEMPTIBLE_* quota when
the project has one, else the regular quota (Compute Engine docs, "Preemptible
quotas"), so a spot need is met by either.
"""

from __future__ import annotations

import json
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from stacks.preflight import PoolShape, QuotaNeed

# machine-type prefix -> regional GPU/TPU metric (units: GPUs or TPU chips)
ACCELERATOR_METRICS: tuple[tuple[str, str, str], ...] = (
    ("a4-highgpu", "NVIDIA_B200_GPUS", "GPUs"),
    ("a3-ultragpu", "NVIDIA_H200_GPUS", "GPUs"),
    ("a3-megagpu", "NVIDIA_H100_MEGA_GPUS", "GPUs"),
    ("a3-highgpu", "NVIDIA_H100_GPUS", "GPUs"),
    ("a2-ultragpu", "NVIDIA_A100_80GB_GPUS", "GPUs"),
    ("a2-highgpu", "NVIDIA_A100_GPUS", "GPUs"),
    ("a2-megagpu", "NVIDIA_A100_GPUS", "GPUs"),
    ("g2-", "NVIDIA_L4_GPUS", "GPUs"),
    ("ct5lp-", "TPU_LITE_PODSLICE_V5", "TPU chips"),
    ("ct4p-", "TPU_V4_PODSLICE", "TPU chips"),
)
# machine family -> regional vCPU metric (families without their own count toward CPUS)
CPU_METRICS = {
    "n2": "N2_CPUS",
    "n2d": "N2D_CPUS",
    "c2": "C2_CPUS",
    "c3": "C3_CPUS",
    "a2": "A2_CPUS",
}
HOW = "IAM & Admin → Quotas (or `gcloud alpha quotas`): request {metric} ≥ {value:g} in {scope}"
API = "https://compute.googleapis.com/compute/v1"


def _need(scope: str, metric: str, unit: str, needed: float, shape: PoolShape,
          or_name: str | None = None) -> QuotaNeed:  # fmt: skip
    return QuotaNeed(
        cloud="gcp",
        scope=scope,
        name=metric,
        title=metric,
        unit=unit,
        needed=needed,
        pools=[shape.pool],
        or_name=or_name,
    )


def how(need: QuotaNeed) -> str:
    text = HOW.format(metric=need.name, value=need.needed, scope=need.scope)
    return text + (f" (or {need.or_name}, which spot VMs also use)" if need.or_name else "")


def needs_for(shape: PoolShape, region: str) -> list[QuotaNeed]:
    out: list[QuotaNeed] = []
    family = shape.instance_type.split("-")[0]
    cpu_metric = CPU_METRICS.get(family, "CPUS")
    if not family.startswith("ct"):  # TPU hosts are counted in TPU chips, not vCPUs
        out.append(_need(region, cpu_metric, "vCPUs", shape.vcpus * shape.nodes, shape))
        out.append(_need("global", "CPUS_ALL_REGIONS", "vCPUs", shape.vcpus * shape.nodes, shape))
    for prefix, metric, unit in ACCELERATOR_METRICS:
        if shape.instance_type.startswith(prefix):
            count = shape.accelerators * shape.nodes
            if shape.spot:
                out.append(_need(region, f"PREEMPTIBLE_{metric}", unit, count, shape, metric))
            else:
                out.append(_need(region, metric, unit, count, shape))
            if unit == "GPUs":
                out.append(_need("global", "GPUS_ALL_REGIONS", "GPUs", count, shape))
            break
    return out


class ComputeQuotaReader:
    """Reads `quotas` from the Compute API's regions.get and projects.get (REST, JSON)."""

    def __init__(self, project: str, token: Callable[[], str], api: str = API):
        self.project, self.token, self.api = project, token, api.rstrip("/")
        self._cache: dict[str, dict[str, dict[str, Any]]] = {}

    @classmethod
    def default(cls, project: str) -> ComputeQuotaReader:
        import google.auth
        import google.auth.transport.requests

        creds, _ = google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])

        def token() -> str:
            creds.refresh(google.auth.transport.requests.Request())
            return str(creds.token)

        return cls(project, token)

    def _quotas(self, scope: str) -> dict[str, dict[str, Any]]:
        if scope not in self._cache:
            path = f"/projects/{self.project}" + ("" if scope == "global" else f"/regions/{scope}")
            req = urllib.request.Request(
                self.api + path, headers={"Authorization": f"Bearer {self.token()}"}
            )
            with urllib.request.urlopen(req, timeout=30) as resp:
                doc = json.load(resp)
            self._cache[scope] = {q["metric"]: q for q in doc.get("quotas", [])}
        return self._cache[scope]

    def limit(self, need: QuotaNeed) -> tuple[float | None, float | None, str]:
        try:
            quotas = self._quotas(need.scope)
        except (urllib.error.URLError, OSError, ValueError) as e:
            return None, None, f"could not read {need.scope} quotas: {e}"
        q = quotas.get(need.name)
        if q is None or (need.or_name and float(q.get("limit", 0)) == 0):
            # No (or a zero) preemptible quota: spot capacity counts against the regular one.
            alt = quotas.get(need.or_name or "")
            if alt is not None:
                return float(alt["limit"]), float(alt.get("usage", 0)), f"via {need.or_name}"
        if q is None:
            return None, None, f"{need.name} is not among the project's {need.scope} quotas"
        return float(q["limit"]), float(q.get("usage", 0)), ""
