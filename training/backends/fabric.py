"""NCCL settings per inter-node fabric, for the pods and requests of multi-node jobs.

EFA (AWS p4d/p5): NCCL reaches the fabric through libfabric and the
aws-ofi-nccl plugin (both in the EKS accelerated AMI and the AWS Deep Learning
Containers); `FI_PROVIDER=efa` pins libfabric to EFA and
`FI_EFA_USE_DEVICE_RDMA=1` turns on GPUDirect RDMA (p4d and later). Sources:
EKS User Guide "Machine learning training using Elastic Fabric Adapter", the
aws-ofi-nccl README; checked 2026-12. GCP A3 (GPUDirect-TCPX/O) and Azure ND
(InfiniBand) fabrics are not provisioned by pioneer (cost/scaling.py says what
bandwidth those jobs get), so no settings are rendered for them.
"""

from __future__ import annotations

EFA_RESOURCE = "vpc.amazonaws.com/efa"
EFA_ENV: dict[str, str] = {
    "FI_PROVIDER": "efa",
    "FI_EFA_USE_DEVICE_RDMA": "1",
    # Bootstrap and fallback traffic on the pod network, never loopback or docker bridges.
    "NCCL_SOCKET_IFNAME": "^lo,docker",
}
