"""Private Link: reach a PaaS resource through a private IP in the endpoints subnet.

A private endpoint for one target sub-resource (``group_id``), the private DNS
zones that resolve the service's names to that IP inside the VNet, and the
links between those zones and the VNet. Used for the Azure ML workspace when
the spec turns its public network access off.
"""

from __future__ import annotations

from collections.abc import Sequence

import pulumi
import pulumi_azure_native as azure_native

from components.azure.base import AzureComponent
from components.spec import PlatformSpec

# Private DNS zones each Private Link group needs (Azure's documented zone names).
ZONES: dict[str, tuple[str, ...]] = {
    "amlworkspace": ("privatelink.api.azureml.ms", "privatelink.notebooks.azure.net"),
}


class PrivateLink(AzureComponent):
    KIND = "PrivateLink"

    def __init__(
        self,
        name: str,
        spec: PlatformSpec,
        *,
        resource_group_name: pulumi.Input[str],
        target_id: pulumi.Input[str],
        group_id: str,
        subnet_id: pulumi.Input[str],
        vnet_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(name, opts)
        try:
            zone_names: Sequence[str] = ZONES[group_id]
        except KeyError:
            raise ValueError(f"group_id: {group_id!r} is not one of {', '.join(ZONES)}") from None
        self.endpoint = azure_native.network.PrivateEndpoint(
            f"{name}-pe",
            resource_group_name=resource_group_name,
            location=spec.region,
            subnet={"id": subnet_id},
            private_link_service_connections=[
                {
                    "name": f"{name}-{group_id}",
                    "private_link_service_id": target_id,
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
                virtual_network={"id": vnet_id},
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
