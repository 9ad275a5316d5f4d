"""NCCL settings per inter-node fabric, for the pods and requests of multi-node jobs.

EFA (AWS p4d/p5, on EKS and on SageMaker, which attaches EFA to multi-instance
jobs of these types itself): NCCL reaches the fabric through libfabric and the
aws-ofi-nccl plugin (both in the EKS accelerated AMI and the AWS Deep Learning
Containers); `FI_PROVIDER=efa` pins libfabric to EFA and
`FI_EFA_USE_DEVICE_RDMA=1` turns on GPUDirect RDMA (p4d and later). Sources:
EKS User Guide "Machine learning training using Elastic Fabric Adapter",
SageMaker Developer Guide "Run training with EFA", the aws-ofi-nccl README.

InfiniBand (Azure ML compute clusters of ND96 sizes, which Azure ML puts on one
InfiniBand fabric): NCCL finds the IB devices itself; relaxed PCI ordering is
what the Azure HPC guides set for ND A100 v4 / H100 v5, and the bootstrap goes
over eth0. Source: Azure HPC docs "NCCL on ND-series"; checked 2026-12. On AKS
pioneer does not install the InfiniBand stack (cost/scaling.py prices those
jobs at the Ethernet NIC), and GCP A3 GPUDirect-TCPX/O needs a plugin image
pioneer does not build, so no settings are rendered for them.
"""

from __future__ import annotations

EFA_RESOURCE = "vpc.amazonaws.com/efa"
EFA_ENV: dict[str, str] = {
    "FI_PROVIDER": "efa",
    "FI_EFA_USE_DEVICE_RDMA": "1",
    # Bootstrap and fallback traffic on the pod network, never loopback or docker bridges.
    "NCCL_SOCKET_IFNAME": "^lo,docker",
}

# Multi-node settings Azure ML's ND96 InfiniBand clusters want (see the module doc).
AZURE_IB_ENV: dict[str, str] = {
    "NCCL_IB_PCI_RELAXED_ORDERING": "1",
    "UCX_IB_PCI_RELAXED_ORDERING": "on",
    "NCCL_SOCKET_IFNAME": "eth0",
}
# EFA-capable instance families; components/aws/interconnect.py EFA_INTERFACES has the card
# counts (a test keeps the two in step; the training image has no Pulumi SDK to import).
EFA_FAMILIES = frozenset({"p4d", "p4de", "p5", "p5e", "p5en"})


def managed_nccl_env(cloud: str, instance_type: str, nodes: int) -> dict[str, str]:
    """NCCL settings for a managed service's multi-node job on `instance_type` ({} if none)."""
    if nodes < 2:
        return {}
    family = instance_type.removeprefix("ml.").split(".")[0]
    if cloud == "aws" and family in EFA_FAMILIES:
        return dict(EFA_ENV)
    if cloud == "azure" and instance_type.startswith("Standard_ND96"):
        return dict(AZURE_IB_ENV)
    return {}
