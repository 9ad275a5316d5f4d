"""AWS: EC2 vCPU quotas per instance-family class, on-demand and spot (Service Quotas, `ec2`).

Codes from the Service Quotas console / `aws service-quotas list-service-quotas
--service-code ec2` (checked 2026-12): EC2 limits running vCPUs per class of
families, separately for on-demand and for spot requests.
"""

from __future__ import annotations

import re
from typing import Any

from stacks.preflight import PoolShape, QuotaNeed

# class -> (on-demand code, on-demand title, spot code, spot title)
CLASSES: dict[str, tuple[str, str, str | None, str]] = {
    "standard": (
        "L-1216C47A",
        "Running On-Demand Standard (A, C, D, H, I, M, R, T, Z) instances",
        "L-34B43A08",
        "All Standard (A, C, D, H, I, M, R, T, Z) Spot Instance Requests",
    ),
    "g": (
        "L-DB2E81BA",
        "Running On-Demand G and VT instances",
        "L-3819A6DF",
        "All G and VT Spot Instance Requests",
    ),  # fmt: skip
    "p": (
        "L-417A185B",
        "Running On-Demand P instances",
        "L-7212CCBC",
        "All P Spot Instance Requests",
    ),  # fmt: skip
    "inf": (
        "L-1945791B",
        "Running On-Demand Inf instances",
        None,
        "All Inf Spot Instance Requests",
    ),
    "trn": (
        "L-2C3B7624",
        "Running On-Demand Trn instances",
        None,
        "All Trn Spot Instance Requests",
    ),
}
HOW = (
    "Service Quotas console → Amazon EC2 → request an increase, or "
    "`aws service-quotas request-service-quota-increase --service-code ec2 "
    "--quota-code {code} --desired-value {value:g} --region {region}`"
)


def family_class(instance_type: str) -> str:
    family = instance_type.split(".")[0]
    for cls, pattern in (("trn", r"trn\d"), ("inf", r"inf\d"), ("p", r"p\d"), ("g", r"(g\d|vt\d)")):
        if re.match(pattern, family):
            return cls
    return "standard"


def needs_for(shape: PoolShape, region: str) -> list[QuotaNeed]:
    od_code, od_title, spot_code, spot_title = CLASSES[family_class(shape.instance_type)]
    code, title = (spot_code, spot_title) if shape.spot else (od_code, od_title)
    needed = shape.vcpus * shape.nodes
    return [
        QuotaNeed(
            cloud="aws",
            scope=region,
            name=code or title,
            title=title,
            unit="vCPUs",
            needed=needed,
            pools=[shape.pool],
        )
    ]


def how(need: QuotaNeed) -> str:
    code = need.name if need.name.startswith("L-") else "<code>"
    return HOW.format(code=code, value=need.needed, region=need.scope)


class ServiceQuotasReader:
    """Reads limits with boto3's service-quotas client (one call per quota code)."""

    def __init__(self, client: Any):
        self.client = client

    @classmethod
    def for_region(cls, region: str) -> ServiceQuotasReader:
        import boto3

        return cls(boto3.client("service-quotas", region_name=region))

    def limit(self, need: QuotaNeed) -> tuple[float | None, float | None, str]:
        from botocore.exceptions import BotoCoreError, ClientError

        if not need.name.startswith("L-"):
            return None, None, "no quota code known: look it up in the Service Quotas console"
        try:
            got = self.client.get_service_quota(ServiceCode="ec2", QuotaCode=need.name)
        except (ClientError, BotoCoreError) as e:
            return None, None, f"could not read {need.name}: {e}"
        return float(got["Quota"]["Value"]), None, ""
