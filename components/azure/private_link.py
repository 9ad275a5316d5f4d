"""Private Link: reach a PaaS resource through a private IP in the endpoints subnet.

A private endpoint for one target sub-resource (``group_id``), the private DNS
zones that resolve the service's names to that IP inside the VNet, and the
links between those zones and the VNet. Used for the Azure ML workspace when
the spec turns its public network access off.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure_native

from components.azure.base import AzureComponent

# Private DNS zones each Private Link group needs (Azure's documented zone names).
ZONES: dict[str, tuple[str, ...]] = {
    "amlworkspace": ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"),
}


@dataclass
class PrivateLinkArgs:
    resource_group_name: pulumi.Input[str]
    """The platform's resource group."""
    location: str
    """The Azure region (of the endpoint; the DNS zones are global)."""
    target_id: pulumi.Input[str]
    """The PaaS resource reached privately."""
    group_id: str
    """Its Private Link sub-resource, one of `ZONES`."""
    subnet_id: pulumi.Input[str]
    """The private-endpoints subnet."""
    vnet_id: pulumi.Input[str]
    """The VNet the DNS zones are linked to."""


class PrivateLink(AzureComponent):
    KIND = "PrivateLink"

    def __init__(
        self, name: str, args: PrivateLinkArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(name, opts)
        resource_group_name, group_id = args.resource_group_name, args.group_id
        try:
            zone_names: Sequence[str] = ZONES[group_id]
        except KeyError:
            raise ValueError(f"group_id: {group_id!r} is not one of {', '.join(ZONES)}") from None
        self.endpoint = azure_native.network.PrivateEndpoint(
            f"{name}-pe",
            resource_group_name=resource_group_name,
            location=args.location,
            subnet={"id": args.subnet_id},
            private_link_service_connections=[
                {
                    "name": f"{name}-{group_id}",
                    "private_link_service_id": args.target_id,
                    "group_ids": [group_id],
                }
            ],
            opts=self.child(),
        )
        self.zones: list[azure_native.privatedns.PrivateZone] = []
        for i, zone in enumerate(zone_names):
            private_zone = azure_native.privatedns.PrivateZone(
                f"{name}-zone{i}",
                resource_group_name=resource_group_name,
                location="global",
                private_zone_name=zone,
                opts=self.child(),
            )
            azure_native.privatedns.VirtualNetworkLink(
                f"{name}-zone{i}-link",
                resource_group_name=resource_group_name,
                location="global",
                private_zone_name=private_zone.name,
                virtual_network={"id": args.vnet_id},
                registration_enabled=False,
                opts=self.child(),
            )
            self.zones.append(private_zone)
        # Azure writes the endpoint's A records into the zones and keeps them current.
        self.dns_group = azure_native.network.PrivateDnsZoneGroup(
            f"{name}-dns",
            resource_group_name=resource_group_name,
            private_endpoint_name=self.endpoint.name,
            private_dns_zone_group_name="default",
            private_dns_zone_configs=[
                {"name": z.replace(".", "-"), "private_dns_zone_id": pz.id}
                for z, pz in zip(zone_names, self.zones, strict=True)
            ],
            opts=self.child(),
        )
        self.register_outputs({"endpoint_id": self.endpoint.id})
