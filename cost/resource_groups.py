"""The rows a resource type rolls up into: the side-by-side cost table and the energy lines.

A calculation, not rendering: `cost.energy` uses it to tell compute from the rest.
"""

from __future__ import annotations

# Which resource types roll up into which row of the side-by-side table.
GROUPS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Kubernetes control plane", ("eks/cluster:", "container/cluster:", ":ManagedCluster")),
    (
        "node pools / compute",
        (
            "nodeGroup:",
            "nodePool:",
            ":AgentPool",
            "machinelearningservices:Compute",
            "instance:Instance",
            ":VirtualMachine",
        ),
    ),
    ("object storage", ("s3/bucket", "storage/bucket:", ":StorageAccount")),
    (
        "network (NAT, IPs, LB, DNS)",
        (
            "natGateway",
            "routerNat",
            ":NatGateway",
            "eip:",
            "PublicIP",
            "oadBalancer",
            "PrivateEndpoint",
            "vpcEndpoint",
            "privatedns:",
            "route53/zone",
            "dns/managedZone",
        ),
    ),
)


def resource_group(type_: str) -> str:
    """The row of the side-by-side table a resource type rolls up into."""
    for name, needles in GROUPS:
        if any(n in type_ for n in needles):
            return name
    return "other (keys, registry, logs, ML)"
