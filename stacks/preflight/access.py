"""How `pulumi up` reaches the cluster API: what must be set before the first deploy.

The Kubernetes provider installs the cluster add-ons by calling the API from the
machine that runs `pulumi up` (`components.k8s.stage`). With a public endpoint it
admits only ``cluster.authorized_cidrs``; the shipped dev stacks carry a
documentation range (RFC 5737) there, which no real deployer sits in, so
preflight says to set the deployer's own network. With a private-only endpoint
the add-ons need a second stack run from inside the network; preflight checks
that one exists beside the platform stack.
"""

from __future__ import annotations

import ipaddress
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from components.spec import PlatformSpec, SpecError
from cost.input_file import InputFileError
from stacks.config import addons_for, list_stacks, load_stack_config

# RFC 5737 (IPv4) and RFC 3849 (IPv6) documentation ranges: placeholders, never a real network.
DOCUMENTATION = tuple(
    ipaddress.ip_network(n)
    for n in ("192.0.2.0/24", "198.51.100.0/24", "203.0.113.0/24", "2001:db8::/32")
)


@dataclass
class AccessCheck:
    item: str
    status: str  # ok | set (must be done before `pulumi up`) | note
    detail: str
    how: str = ""

    def to_json(self) -> dict[str, Any]:
        return asdict(self)


def _placeholder(cidr: str) -> bool:
    try:
        net = ipaddress.ip_network(cidr, strict=False)
    except ValueError:
        return False
    return any(net.version == d.version and net.subnet_of(d) for d in DOCUMENTATION)  # type: ignore[arg-type]


def access_checks(spec: PlatformSpec, stack: str, stack_file: Path) -> list[AccessCheck]:
    return _cluster_checks(spec, stack, stack_file) + _workspace_checks(spec)


def _workspace_checks(spec: PlatformSpec) -> list[AccessCheck]:
    if spec.cloud != "azure" or not spec.mlops.enabled or spec.mlops.public_network_access:
        return []
    return [AccessCheck(
        "mlops.public_network_access", "note",
        "the Azure ML workspace is reachable only through its private endpoint: run "
        "`pioneer train --backend azureml` from inside the VNet (the add-ons runner will do)",
    )]  # fmt: skip


def _cluster_checks(spec: PlatformSpec, stack: str, stack_file: Path) -> list[AccessCheck]:
    cl = spec.cluster
    if not cl.private_endpoint:
        out = []
        for i, cidr in enumerate(cl.authorized_cidrs):
            key = f"cluster.authorized_cidrs[{i}]"
            if _placeholder(cidr):
                out.append(AccessCheck(
                    key, "set",
                    f"{cidr} is a documentation range: nobody deploys from it, so the "
                    "Kubernetes API would refuse `pulumi up`'s add-ons",
                    f"pulumi config set --path 'pioneer:{key}' \"$(curl -s "
                    f"https://checkip.amazonaws.com)/32\" -s {stack}",
                ))  # fmt: skip
            else:
                out.append(AccessCheck(key, "ok", f"{cidr} may reach the public endpoint"))
        return out
    if cl.addons == "in_stack":  # refused by the spec; kept for a spec built in code
        return [AccessCheck("cluster.addons", "set", "private endpoint with in-stack add-ons")]
    folder = stack_file.parent
    addons = [s for s in list_stacks(folder) if _names(folder / f"Pulumi.{s}.yaml", stack)]
    if addons:
        return [AccessCheck(
            "cluster.addons", "note",
            f"private-only endpoint: run `pulumi up -s {addons[0]}` from inside the network "
            "after this stack (a CI runner in the VPC/VNet, a Cloud Build private pool)",
        )]  # fmt: skip
    return [AccessCheck(
        "cluster.addons", "set",
        "private-only endpoint and no add-ons stack names this one: the cluster would get "
        "no JobSet, device plugin or trainer service account",
        f"create {stack_file.parent / f'Pulumi.{stack}-addons.yaml'} with "
        f"`config: {{pioneer:addons_for: {stack}}}` and run it from inside the network",
    )]  # fmt: skip


def _names(path: Path, stack: str) -> bool:
    try:
        return addons_for(load_stack_config(path)) == stack
    except (SpecError, InputFileError, OSError):  # a broken sibling is its own stack's problem
        return False
