"""EFA: the inter-node fabric of AWS GPU training instances, and what a job needs to use it.

The scaling model (cost/) prices multi-node p4d/p5 plans at their EFA
bandwidth (400 Gbps on p4d, 3,200 Gbps on p5). A node only gets it when its
launch template attaches an EFA interface on every network card, the nodes sit
in one cluster placement group (one zone), their security group allows all
traffic between members (components/aws/network.py already does), the EFA
device plugin advertises `vpc.amazonaws.com/efa`, and the pod requests those
devices and runs NCCL over libfabric (aws-ofi-nccl, in the EKS GPU AMI and the
Deep Learning Containers).

Sources: EC2 User Guide, "Elastic Fabric Adapter — supported instance types"
and "Maximize network bandwidth on accelerated computing instances" (network
cards per type: p5/p5e 32, p5en 16, p4d/p4de 4); EKS User Guide "Run machine
learning training on Amazon EKS with Elastic Fabric Adapter"; checked 2026-12.
"""

from __future__ import annotations

from typing import Any

# Network cards (one EFA interface each) per EFA-capable GPU instance type.
EFA_INTERFACES: dict[str, int] = {
    "p4d.24xlarge": 4,
    "p4de.24xlarge": 4,
    "p5.48xlarge": 32,
    "p5e.48xlarge": 32,
    "p5en.48xlarge": 16,
}
DEVICE_PLUGIN_CHART = ("https://aws.github.io/eks-charts", "aws-efa-k8s-device-plugin", "v0.5.6")
# The pod side (the `vpc.amazonaws.com/efa` request and NCCL's settings): training/backends/fabric.py


def efa_interfaces(instance_types: tuple[str, ...] | list[str]) -> int:
    """EFA interfaces one launch template can attach to every type listed (0: no EFA).

    A launch template's network cards must exist on each type it launches, so a
    pool mixing types with different card counts gets none.
    """
    counts = {EFA_INTERFACES.get(t, 0) for t in instance_types}
    return counts.pop() if len(counts) == 1 else 0


def efa_device_plugin_values() -> dict[str, Any]:
    """The EFA device plugin's Helm values: EFA nodes are GPU nodes, so tolerate their taint."""
    return {
        "tolerations": [{"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"}]
    }
