"""Azure: regional vCPU quotas per VM family, the regional total, and spot vCPUs (Compute usages).

Usage names as `az vm list-usage --location LOC` prints them (`name.value`).
Spot VMs count against "Total Regional Spot vCPUs" (`lowPriorityCores`), not
the family quotas; regular VMs against their family and `cores`.
"""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from collections.abc import Callable
from typing import Any

from stacks.preflight import PoolShape, QuotaNeed

# VM size pattern -> family usage name. Sizes not matched are reported without a family quota.
FAMILIES: tuple[tuple[str, str], ...] = (
    (r"Standard_ND96isr_H100_v5", "standardNDSH100v5Family"),
    (r"Standard_ND96amsr_A100_v4", "standardNDAMSv4_A100Family"),
    (r"Standard_ND96asr_v4", "standardNDASv4_A100Family"),
    (r"Standard_ND40rs_v2", "standardNDSv2Family"),
    (r"Standard_NC\d+ads_A100_v4", "standardNCADSA100v4Family"),
    (r"Standard_NC\d+a?dis?_H100_v5", "standardNCadsH100v5Family"),
    (r"Standard_NC\d+as_T4_v3", "standardNCASv3_T4Family"),
    (r"Standard_NC\d+r?s_v3", "standardNCSv3Family"),
    (r"Standard_NV\d+ad(m)?s_A10_v5", "standardNVADSA10v5Family"),
    (r"Standard_D\d+s_v5", "standardDSv5Family"),
    (r"Standard_D\d+_v5", "standardDv5Family"),
    (r"Standard_D\d+s_v3", "standardDSv3Family"),
)
HOW = "Portal → Quotas → Compute (or `az quota create`): raise {name} in {scope} to ≥ {value:g}"
ARM = "https://management.azure.com"
API_VERSION = "2024-07-01"


def family_of(vm_size: str) -> str | None:
    for pattern, family in FAMILIES:
        if re.fullmatch(pattern, vm_size):
            return family
    return None


def _need(scope: str, name: str, title: str, needed: float, shape: PoolShape) -> QuotaNeed:
    return QuotaNeed("azure", scope, name, title, "vCPUs", needed, [shape.pool])


def how(need: QuotaNeed) -> str:
    return HOW.format(name=need.name, scope=need.scope, value=need.needed)


def needs_for(shape: PoolShape, region: str) -> list[QuotaNeed]:
    vcpus = shape.vcpus * shape.nodes
    if shape.spot:
        return [_need(region, "lowPriorityCores", "Total Regional Spot vCPUs", vcpus, shape)]
    out = [_need(region, "cores", "Total Regional vCPUs", vcpus, shape)]
    family = family_of(shape.instance_type)
    if family:
        out.append(_need(region, family, f"{family} vCPUs", vcpus, shape))
    return out


class UsageReader:
    """Reads Microsoft.Compute/locations/{location}/usages (REST, JSON) for one subscription."""

    def __init__(self, subscription: str, token: Callable[[], str], arm: str = ARM):
        self.subscription, self.token, self.arm = subscription, token, arm.rstrip("/")
        self._cache: dict[str, dict[str, dict[str, Any]]] = {}

    @classmethod
    def default(cls, subscription: str) -> UsageReader:
        from azure.identity import DefaultAzureCredential

        cred = DefaultAzureCredential()
        return cls(subscription, lambda: cred.get_token(f"{ARM}/.default").token)

    def _usages(self, location: str) -> dict[str, dict[str, Any]]:
        if location not in self._cache:
            url = (
                f"{self.arm}/subscriptions/{self.subscription}/providers/Microsoft.Compute/"
                f"locations/{location}/usages?api-version={API_VERSION}"
            )
            req = urllib.request.Request(url, headers={"Authorization": f"Bearer {self.token()}"})
            with urllib.request.urlopen(req, timeout=30) as resp:
                doc = json.load(resp)
            self._cache[location] = {u["name"]["value"]: u for u in doc.get("value", [])}
        return self._cache[location]

    def limit(self, need: QuotaNeed) -> tuple[float | None, float | None, str]:
        try:
            usages = self._usages(need.scope)
        except (urllib.error.URLError, OSError, ValueError) as e:
            return None, None, f"could not read {need.scope} usages: {e}"
        u = usages.get(need.name)
        if u is None:
            return None, None, f"{need.name} is not in {need.scope}'s usage list"
        return float(u["limit"]), float(u.get("currentValue", 0)), ""
