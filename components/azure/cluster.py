"""Cluster: an AKS managed cluster with Entra ID RBAC, workload identity and GPU agent pools.

- Identity: system-assigned managed identity; no local accounts (no static
  admin kubeconfig) — users sign in with Entra ID and are authorised by Azure RBAC.
- Access: the deployer (the identity running `pulumi up`) gets Azure Kubernetes
  Service RBAC Cluster Admin on this cluster, so it can install the add-ons.
- OIDC issuer + workload identity, so pods get Entra tokens without secrets.
- The first CPU pool of the spec is the system pool (inside the cluster
  resource); every other pool, GPU pools included, is a separate `AgentPool`
  so it can be added, resized or removed without touching the cluster.
- Networking: Azure CNI overlay with Cilium on the node subnet; the control
  plane is private unless the spec asks for a public endpoint with authorised CIDRs.
"""

from __future__ import annotations

import base64
import ipaddress
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import cast

import pulumi
import pulumi_azure_native as azure_native

from components.azure import node_pools
from components.azure.base import AzureComponent
from components.azure.kubeconfig import non_interactive
from components.azure.naming import agent_pool_names
from components.azure.roles import principal_type, role_definition_id
from components.spec import NodePool

# Pod and service ranges live outside the VNet; the first that does not overlap it is used.
_OVERLAY_CANDIDATES = (
    ("192.168.0.0/16", "172.16.0.0/16"),
    ("100.64.0.0/16", "172.31.0.0/16"),
    ("10.244.0.0/16", "10.245.0.0/16"),
)
# The spec's release channel -> the AKS auto-upgrade channel.
UPGRADE_CHANNEL = {"RAPID": "rapid", "REGULAR": "stable", "STABLE": "patch"}


def overlay_ranges(vnet_cidr: str) -> tuple[str, str, str]:
    """(pod CIDR, service CIDR, DNS service IP) that do not overlap the VNet."""
    vnet = ipaddress.ip_network(vnet_cidr)
    for pods, services in _OVERLAY_CANDIDATES:
        if not any(vnet.overlaps(ipaddress.ip_network(c)) for c in (pods, services)):
            dns = str(ipaddress.ip_network(services).network_address + 10)
            return pods, services, dns
    raise ValueError(
        f"network.cidr: {vnet_cidr} overlaps every pod/service range pioneer uses "
        f"({', '.join(p + ' ' + s for p, s in _OVERLAY_CANDIDATES)})"
    )


def system_pool(pools: Sequence[NodePool]) -> NodePool | None:
    """The first CPU pool of the spec (None: the cluster gets a default one)."""
    return next((p for p in pools if p.accelerator is None), None)


@dataclass
class ClusterArgs:
    platform: str
    """The spec's name: the cluster's DNS prefix and the grants' descriptions."""
    resource_group_name: pulumi.Input[str]
    """The platform's resource group."""
    location: str
    """The Azure region."""
    tenant_id: pulumi.Input[str]
    """The Entra tenant that signs users in (Azure RBAC for Kubernetes)."""
    subscription_id: pulumi.Input[str]
    """The subscription the built-in role definitions are read from."""
    nodes_subnet_id: pulumi.Input[str]
    """The subnet every agent pool's nodes join."""
    registry_id: pulumi.Input[str]
    """The platform registry the kubelet pulls images from (AcrPull)."""
    log_analytics_id: pulumi.Input[str]
    """The Log Analytics workspace Container Insights writes to."""
    deployer_object_id: pulumi.Input[str]
    """The identity running `pulumi up` (cluster admin, so it can install the add-ons)."""
    deployer_client_id: pulumi.Input[str]
    """The client id in the deployer's token: tells a user from a service principal."""
    vnet_cidr: str
    """The VNet range; pod and service overlay ranges are picked outside it."""
    node_pools: Sequence[NodePool] = ()
    """The spec's pools: the first CPU pool is the system pool, every other an AgentPool."""
    kubernetes_version: str | None = None
    """None: AKS's default version."""
    extended_support: bool = False
    """The version is past AKS community support: long-term support (Premium tier)."""
    private_endpoint: bool = True
    """A private API server (private cluster); False: public, limited to ``authorized_cidrs``."""
    authorized_cidrs: list[str] = field(default_factory=list)
    """The networks allowed to reach a public API server."""
    release_channel: str = "REGULAR"
    """The spec's channel, mapped to the AKS auto-upgrade channel (`UPGRADE_CHANNEL`)."""
    deletion_protection: bool = True
    """Pulumi's ``protect`` on the cluster (AKS has no deletion-protection flag)."""


class Cluster(AzureComponent):
    """The AKS cluster, its extra agent pools, the kubelet's AcrPull grant and a kubeconfig."""

    KIND = "Cluster"

    def __init__(
        self,
        name: str,
        args: ClusterArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(name, opts)
        resource_group_name, subscription_id = args.resource_group_name, args.subscription_id
        nodes_subnet_id, location = args.nodes_subnet_id, args.location
        pods, services, dns_ip = overlay_ranges(args.vnet_cidr)
        system = system_pool(args.node_pools) or NodePool(name="system", min_nodes=1, max_nodes=3)
        names = agent_pool_names([p.name for p in args.node_pools if p is not system])
        names = {
            system.name: "system",
            **{k: v if v != "system" else "system2" for k, v in names.items()},
        }
        access: azure_native.containerservice.ManagedClusterAPIServerAccessProfileArgsDict = (
            {"enable_private_cluster": True, "private_dns_zone": "system"}
            if args.private_endpoint
            else {
                "enable_private_cluster": False,
                "authorized_ip_ranges": list(args.authorized_cidrs),
            }
        )
        self.cluster = azure_native.containerservice.ManagedCluster(
            f"{name}-aks",
            resource_group_name=resource_group_name,
            location=location,
            dns_prefix=args.platform,
            kubernetes_version=args.kubernetes_version,
            # Long-term support exists only on the Premium tier (six times the Standard fee).
            sku={"name": "Base", "tier": "Premium" if args.extended_support else "Standard"},
            support_plan="AKSLongTermSupport" if args.extended_support else None,
            identity={"type": azure_native.containerservice.ResourceIdentityType.SYSTEM_ASSIGNED},
            enable_rbac=True,
            aad_profile={"managed": True, "enable_azure_rbac": True, "tenant_id": args.tenant_id},
            disable_local_accounts=True,
            oidc_issuer_profile={"enabled": True},
            # Checkpoints mount the platform container with the Blob CSI driver (blobfuse2),
            # signed in as the trainer's workload identity; AKS leaves the driver off.
            storage_profile={"blob_csi_driver": {"enabled": True}},
            security_profile={"workload_identity": {"enabled": True}},
            api_server_access_profile=access,
            auto_upgrade_profile={
                "upgrade_channel": UPGRADE_CHANNEL[args.release_channel],
                "node_os_upgrade_channel": "NodeImage",
            },
            network_profile={
                "network_plugin": "azure",
                "network_plugin_mode": "overlay",
                "network_dataplane": "cilium",
                "network_policy": "cilium",
                "pod_cidr": pods,
                "service_cidr": services,
                "dns_service_ip": dns_ip,
                "load_balancer_sku": "standard",
                "outbound_type": "loadBalancer",
            },
            addon_profiles={
                "omsagent": {
                    "enabled": True,
                    "config": {
                        "logAnalyticsWorkspaceResourceID": args.log_analytics_id,
                        "useAADAuth": "true",
                    },
                }
            },
            # `pool_args` is a plain dict shared with `AgentPool`; here it is a pool profile.
            agent_pool_profiles=[
                cast(
                    azure_native.containerservice.ManagedClusterAgentPoolProfileArgsDict,
                    {
                        "name": "system",
                        **node_pools.pool_args(
                            location, system, mode="System", subnet_id=nodes_subnet_id
                        ),
                    },
                )
            ],
            # AKS has no deletion-protection flag; Pulumi's `protect` refuses to delete it.
            opts=self.child(protect=args.deletion_protection),
        )
        self.pool_outputs = [
            node_pools.describe(location, p, names[p.name])
            for p in ([system] if system not in args.node_pools else []) + list(args.node_pools)
        ]
        self._container_insights(name, location, resource_group_name, args.log_analytics_id)
        # ARM grants AKS's identity no rights on a bring-your-own subnet (the Azure CLI adds
        # this itself); without it the cluster cannot join nodes or load balancers to it.
        self.subnet_network_contributor = azure_native.authorization.RoleAssignment(
            f"{name}-subnet-network",
            scope=nodes_subnet_id,
            principal_id=self.cluster.identity.apply(lambda i: i.principal_id if i else None),
            principal_type="ServicePrincipal",
            role_definition_id=pulumi.Output.from_input(subscription_id).apply(
                lambda s: role_definition_id(s, "Network Contributor")
            ),
            description=f"pioneer {args.platform}: AKS -> Network Contributor on the node subnet",
            opts=self.child(),
        )
        self.agent_pools: dict[str, azure_native.containerservice.AgentPool] = {}
        for pool in args.node_pools:
            if pool is system:
                continue
            self.agent_pools[pool.name] = azure_native.containerservice.AgentPool(
                f"{name}-{pool.name}",
                resource_group_name=resource_group_name,
                resource_name_=self.cluster.name,
                agent_pool_name=names[pool.name],
                **node_pools.pool_args(location, pool, mode="User", subnet_id=nodes_subnet_id),
                opts=self.child(depends_on=[self.subnet_network_contributor]),
            )
        # The kubelet pulls training images from the platform registry.
        kubelet_object_id = self.cluster.identity_profile.apply(
            lambda p: p["kubeletidentity"].object_id if p else None
        )
        self.kubelet_acr_pull = azure_native.authorization.RoleAssignment(
            f"{name}-kubelet-acrpull",
            scope=args.registry_id,
            principal_id=kubelet_object_id,
            principal_type="ServicePrincipal",
            role_definition_id=pulumi.Output.from_input(subscription_id).apply(
                lambda s: role_definition_id(s, "AcrPull")
            ),
            opts=self.child(),
        )
        # With local accounts off, whoever runs `pulumi up` needs a Kubernetes role to install
        # the training add-ons; this grant covers exactly this cluster's objects.
        admin = "Azure Kubernetes Service RBAC Cluster Admin"
        self.deployer_admin = azure_native.authorization.RoleAssignment(
            f"{name}-deployer-admin",
            scope=self.cluster.id,
            principal_id=args.deployer_object_id,
            principal_type=pulumi.Output.from_input(args.deployer_client_id).apply(principal_type),
            role_definition_id=pulumi.Output.from_input(subscription_id).apply(
                lambda s: role_definition_id(s, admin)
            ),
            description=f"pioneer {args.platform}: the deployer -> {admin}",
            opts=self.child(),
        )
        creds = azure_native.containerservice.list_managed_cluster_user_credentials_output(
            resource_group_name=resource_group_name,
            resource_name=self.cluster.name,
            format="exec",  # an Entra ID kubeconfig that runs `kubelogin`; no static token
            opts=pulumi.InvokeOutputOptions(parent=self),
        )
        self.kubeconfig: pulumi.Output[str] = pulumi.Output.secret(
            creds.kubeconfigs.apply(
                lambda k: non_interactive(base64.b64decode(k[0].value).decode())
            )
        )
        # The API server's address: the private FQDN of a private cluster, else the public one.
        self.endpoint = self.cluster.private_fqdn if args.private_endpoint else self.cluster.fqdn
        # The OIDC issuer is enabled above, so a deployed cluster always reports its URL.
        self.oidc_issuer_url = cast(
            pulumi.Output[str],
            self.cluster.oidc_issuer_profile.apply(lambda p: p.issuer_url if p else None),
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster.name,
                "endpoint": self.endpoint,
                "kubeconfig": self.kubeconfig,
                "oidc_issuer_url": self.oidc_issuer_url,
                "node_pools": self.pool_outputs,
            }
        )

    def _container_insights(
        self,
        name: str,
        location: str,
        resource_group_name: pulumi.Input[str],
        log_analytics_id: pulumi.Input[str],
    ) -> None:
        """The data collection rule the monitoring add-on needs in its Entra-auth mode.

        `az aks enable-addons` creates these two resources itself; through ARM
        they are explicit, or the add-on runs but collects nothing.
        """
        stream = "Microsoft-ContainerInsights-Group-Default"
        self.insights_rule = azure_native.monitor.DataCollectionRule(
            f"{name}-insights-dcr",
            resource_group_name=resource_group_name,
            location=location,
            kind="Linux",
            data_sources={
                "extensions": [
                    {
                        "name": "ContainerInsightsExtension",
                        "extension_name": "ContainerInsights",
                        "streams": [stream],
                        "extension_settings": {
                            "dataCollectionSettings": {
                                "interval": "1m",
                                "namespaceFilteringMode": "Off",
                                "enableContainerLogV2": True,
                            }
                        },
                    }
                ]
            },
            destinations={
                "log_analytics": [
                    {"name": "ciworkspace", "workspace_resource_id": log_analytics_id}
                ]
            },
            data_flows=[{"streams": [stream], "destinations": ["ciworkspace"]}],
            opts=self.child(),
        )
        self.insights_association = azure_native.monitor.DataCollectionRuleAssociation(
            f"{name}-insights-dcra",
            resource_uri=self.cluster.id,
            association_name="ContainerInsightsExtension",
            data_collection_rule_id=self.insights_rule.id,
            opts=self.child(),
        )
