"""AKS agent pool settings from the spec's node pools: size, capacity, scaling, labels, taints.

Pure functions (no Pulumi resources), so the mapping is testable on its own and
shared by the cluster's system pool and its separate agent pools.
"""

from __future__ import annotations

from typing import Any

from components.spec import NodePool
from cost.catalog import get_catalog

DEFAULT_SYSTEM_VM = "Standard_D4s_v5"  # 4 vCPU / 16 GiB: room for system pods and add-ons
# The node labels every pioneer platform uses (the kubernetes backend selects pools with them).
LABEL_PREFIX = "pioneer.dev"
SPOT_TAINT = "kubernetes.azure.com/scalesetpriority=spot:NoSchedule"
GPU_TAINT = "nvidia.com/gpu=present:NoSchedule"


def vm_size(region: str, pool: NodePool) -> str:
    """The pool's VM size: its explicit ``instance_type``, else the catalog's cheapest match."""
    if pool.instance_type:
        return pool.instance_type
    if pool.accelerator is None:
        return DEFAULT_SYSTEM_VM
    return get_catalog().instance_types(
        "azure", region, pool.accelerator, pool.accelerators_per_node
    )[0]


def labels(pool: NodePool) -> dict[str, str]:
    out = {f"{LABEL_PREFIX}/pool": pool.name, f"{LABEL_PREFIX}/capacity": pool.capacity}
    if pool.accelerator:
        out[f"{LABEL_PREFIX}/accelerator"] = pool.accelerator
        out[f"{LABEL_PREFIX}/accelerator-count"] = str(pool.accelerators_per_node)
    return out


def taints(pool: NodePool) -> list[str]:
    """Spot nodes and GPU nodes only take pods that tolerate them.

    AKS adds the spot taint itself; declaring it keeps the plan and Azure in agreement.
    """
    out = []
    if pool.spot:
        out.append(SPOT_TAINT)
    if pool.is_gpu:
        out.append(GPU_TAINT)
    return out


def capacity_settings(pool: NodePool) -> dict[str, Any]:
    if pool.spot:
        # Evicted nodes are deleted (not kept deallocated, which still bills their disks);
        # a max price of -1 pays up to the on-demand price, so price alone never evicts.
        return {
            "scale_set_priority": "Spot",
            "scale_set_eviction_policy": "Delete",
            "spot_max_price": -1,
        }
    return {"scale_set_priority": "Regular"}


def pool_args(region: str, pool: NodePool, *, mode: str, subnet_id: Any) -> dict[str, Any]:
    """Arguments shared by `ManagedClusterAgentPoolProfileArgs` and `AgentPool`."""
    min_count = pool.min_nodes
    if mode == "System":
        min_count = max(1, min_count)  # a system pool cannot scale to zero
    count = min(max(pool.initial_nodes, min_count), pool.max_nodes)
    args: dict[str, Any] = {
        "mode": mode,
        "vm_size": vm_size(region, pool),
        "os_type": "Linux",
        "os_sku": "Ubuntu",
        "os_disk_size_gb": pool.disk_size_gb,
        "type": "VirtualMachineScaleSets",
        "enable_auto_scaling": True,
        "min_count": min_count,
        "max_count": pool.max_nodes,
        "count": count,
        "vnet_subnet_id": subnet_id,
        "enable_node_public_ip": False,
        "node_labels": labels(pool),
        **capacity_settings(pool),
    }
    node_taints = taints(pool)
    if node_taints:
        args["node_taints"] = node_taints
    return args


def describe(region: str, pool: NodePool, agent_pool_name: str) -> dict[str, Any]:
    """The pool as the ``node_pools`` stack output lists it (what the kubernetes backend reads)."""
    system = agent_pool_name == "system"
    return {
        "name": pool.name,
        "agent_pool": agent_pool_name,
        "mode": "System" if system else "User",
        "capacity": pool.capacity,
        "accelerator": pool.accelerator,
        "accelerators_per_node": pool.accelerators_per_node,
        "vm_size": vm_size(region, pool),
        "min_nodes": max(1, pool.min_nodes) if system else pool.min_nodes,
        "max_nodes": pool.max_nodes,
    }
