"""MLOps: the Azure ML workspace and one AmlCompute cluster per GPU pool.

The workspace has a system-assigned identity and is linked to exactly the
storage account, Key Vault, Application Insights and registry this platform
created. Its system datastores use identity-based access, which lets the
storage account keep shared keys off. Compute runs in the workspace's managed
network (no public node IPs), scales to zero after the spec's idle time, and
acts as the platform's user-assigned compute identity.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_azure_native as azure_native

from components.azure import node_pools
from components.azure.base import AzureComponent
from components.azure.naming import compute_name
from components.azure.roles import AML_CONTAINER_PREFIX, containers_condition, role_definition_id
from components.spec import NodePool


def idle_time(minutes: int) -> str:
    """ISO 8601 duration, as AmlCompute's ``node_idle_time_before_scale_down`` wants it."""
    hours, mins = divmod(minutes, 60)
    return "PT" + (f"{hours}H" if hours else "") + (f"{mins}M" if mins or not hours else "")


def compute_priority(pool: NodePool) -> str:
    """Spot pools run on low-priority VMs (evictable, at the spot price); others dedicated."""
    return "LowPriority" if pool.spot else "Dedicated"


@dataclass
class MachineLearningArgs:
    platform: str
    """The spec's name (the workspace's friendly name)."""
    resource_group_name: pulumi.Input[str]
    """The platform's resource group."""
    location: str
    """The Azure region."""
    storage_account_id: pulumi.Input[str]
    """The platform storage account (the workspace's default storage)."""
    key_vault_id: pulumi.Input[str]
    """The platform Key Vault."""
    app_insights_id: pulumi.Input[str]
    """The Application Insights component Azure ML requires."""
    registry_id: pulumi.Input[str]
    """The platform registry (the workspace's image registry)."""
    compute_identity_id: pulumi.Input[str]
    """The user-assigned identity every AmlCompute cluster runs as."""
    subscription_id: pulumi.Input[str]
    """The subscription the built-in role definitions are read from."""
    gpu_pools: Sequence[NodePool] = ()
    """One AmlCompute cluster per GPU pool."""
    public_network_access: bool = False
    """Whether the workspace is reachable from the internet."""
    compute_idle_minutes: int = 15
    """Idle time before a compute cluster scales back to zero."""
    compute_depends_on: list[pulumi.Resource] = field(default_factory=list)
    """The compute identity's grants: no node starts before it can read data and images."""
    data_principals: dict[str, tuple[pulumi.Input[str], pulumi.Input[str]]] = field(
        default_factory=dict
    )
    """Who reads and writes Azure ML's own containers (code snapshots, job outputs, logs):
    label -> (principal id, principal type); the deployer and the compute identity."""


class MachineLearning(AzureComponent):
    KIND = "MachineLearning"

    def __init__(
        self, name: str, args: MachineLearningArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(name, opts)
        resource_group_name = args.resource_group_name
        public = args.public_network_access
        self.workspace = azure_native.machinelearningservices.Workspace(
            f"{name}-ws",
            resource_group_name=resource_group_name,
            location=args.location,
            friendly_name=f"pioneer {args.platform}",
            kind="Default",
            sku={"name": "Basic", "tier": azure_native.machinelearningservices.SkuTier.BASIC},
            identity={"type": "SystemAssigned"},
            storage_account=args.storage_account_id,
            key_vault=args.key_vault_id,
            application_insights=args.app_insights_id,
            container_registry=args.registry_id,
            public_network_access="Enabled" if public else "Disabled",
            system_datastores_auth_mode="identity",
            managed_network={"isolation_mode": "AllowInternetOutbound"},
            v1_legacy_mode=False,
            opts=self.child(),
        )
        # With shared keys off and identity-based datastores, uploads of code snapshots (the
        # deployer) and job reads/writes (the compute) need data-plane rights on Azure ML's
        # containers, and only those: an account-scope grant conditioned on their names.
        role = "Storage Blob Data Contributor"
        self.data_grants = {
            label: azure_native.authorization.RoleAssignment(
                f"{name}-{label}-aml-blob",
                scope=args.storage_account_id,
                principal_id=principal_id,
                principal_type=principal_type,
                role_definition_id=pulumi.Output.from_input(args.subscription_id).apply(
                    functools.partial(role_definition_id, role=role)
                ),
                condition=containers_condition(AML_CONTAINER_PREFIX),
                condition_version="2.0",
                description=f"pioneer {args.platform}: {label} -> {role} (Azure ML containers)",
                opts=self.child(),
            )
            for label, (principal_id, principal_type) in args.data_principals.items()
        }
        self.computes: list[dict[str, Any]] = []
        self.compute_resources: dict[str, azure_native.machinelearningservices.Compute] = {}
        for pool in args.gpu_pools:
            cname = compute_name(pool.name)
            size = node_pools.vm_size(args.location, pool)
            priority = compute_priority(pool)
            self.compute_resources[pool.name] = azure_native.machinelearningservices.Compute(
                f"{name}-{pool.name}",
                resource_group_name=resource_group_name,
                workspace_name=self.workspace.name,
                compute_name=cname,
                location=args.location,
                identity={
                    "type": "UserAssigned",
                    "user_assigned_identities": [args.compute_identity_id],
                },
                properties={
                    "compute_type": "AmlCompute",
                    "description": f"pioneer pool {pool.name}: {pool.accelerators_per_node}x"
                    f"{pool.accelerator} ({pool.capacity})",
                    "disable_local_auth": True,
                    "properties": {
                        "vm_size": size,
                        "vm_priority": priority,
                        "os_type": "Linux",
                        # Jobs start nodes; nothing idles between them (the spec's min_nodes
                        # keeps AKS nodes warm, not these).
                        "scale_settings": {
                            "min_node_count": 0,
                            "max_node_count": pool.max_nodes,
                            "node_idle_time_before_scale_down": idle_time(
                                args.compute_idle_minutes
                            ),
                        },
                        "enable_node_public_ip": False,
                        "remote_login_port_public_access": "Disabled",
                    },
                },
                # A node must not start a job before its identity can read data and images.
                opts=self.child(depends_on=[*args.compute_depends_on, *self.data_grants.values()]),
            )
            self.computes.append(
                {"name": cname, "priority": priority, "vm_size": size, "pool": pool.name}
            )
        self.register_outputs(
            {"workspace_name": self.workspace.name, "compute_clusters": self.computes}
        )
