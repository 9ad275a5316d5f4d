"""Network: a VNet with a subnet for the cluster nodes and one for private endpoints.

The spec's CIDR is cut into quarters: the first for AKS nodes (pods use an
overlay range outside the VNet), the second for private endpoints; the rest is
left for growth. Each subnet has its own network security group; Azure's
default rules already deny inbound internet traffic, so no rule opens anything.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure_native

from components.azure.base import AzureComponent

# Service endpoints on the node subnet, so Key Vault and Storage firewalls can admit it.
NODE_SERVICE_ENDPOINTS = ("Microsoft.Storage", "Microsoft.KeyVault", "Microsoft.ContainerRegistry")


def subnet_ranges(cidr: str) -> tuple[str, str]:
    """(nodes, private endpoints): the first two quarters of the VNet range."""
    quarters = list(ipaddress.ip_network(cidr).subnets(prefixlen_diff=2))
    return str(quarters[0]), str(quarters[1])


@dataclass
class NetworkArgs:
    resource_group_name: pulumi.Input[str]
    """The platform's resource group."""
    location: str
    """The Azure region."""
    cidr: str
    """The VNet's address space; its first two quarters become the subnets."""


class Network(AzureComponent):
    """VNet, node subnet, private-endpoint subnet and their NSGs."""

    KIND = "Network"

    def __init__(self, name: str, args: NetworkArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, opts)
        resource_group_name = args.resource_group_name
        nodes_cidr, endpoints_cidr = subnet_ranges(args.cidr)
        self.vnet = azure_native.network.VirtualNetwork(
            f"{name}-vnet",
            address_space={"address_prefixes": [args.cidr]},
            opts=self.child(),
            resource_group_name=resource_group_name,
            location=args.location,
        )
        self.nodes_nsg = azure_native.network.NetworkSecurityGroup(
            f"{name}-nodes-nsg",
            opts=self.child(),
            resource_group_name=resource_group_name,
            location=args.location,
        )
        self.endpoints_nsg = azure_native.network.NetworkSecurityGroup(
            f"{name}-endpoints-nsg",
            opts=self.child(),
            resource_group_name=resource_group_name,
            location=args.location,
        )
        self.nodes_subnet = azure_native.network.Subnet(
            f"{name}-nodes",
            resource_group_name=resource_group_name,
            virtual_network_name=self.vnet.name,
            address_prefix=nodes_cidr,
            network_security_group={"id": self.nodes_nsg.id},
            service_endpoints=[{"service": s} for s in NODE_SERVICE_ENDPOINTS],
            # No implicit outbound IP: egress goes through the cluster's load balancer.
            default_outbound_access=False,
            opts=self.child(),
        )
        self.endpoints_subnet = azure_native.network.Subnet(
            f"{name}-endpoints",
            resource_group_name=resource_group_name,
            virtual_network_name=self.vnet.name,
            address_prefix=endpoints_cidr,
            network_security_group={"id": self.endpoints_nsg.id},
            # Let the NSG apply to private endpoints too (off by default on Azure).
            private_endpoint_network_policies="Enabled",
            default_outbound_access=False,
            # Subnets of one VNet are updated one at a time.
            opts=self.child(depends_on=[self.nodes_subnet]),
        )
        self.register_outputs(
            {
                "vnet_id": self.vnet.id,
                "nodes_subnet_id": self.nodes_subnet.id,
                "endpoints_subnet_id": self.endpoints_subnet.id,
            }
        )
