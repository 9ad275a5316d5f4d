"""Registry: an Azure Container Registry for training images, admin user disabled.

Standard SKU (about $20/month, 100 GiB included): Premium (about $50/month)
would add private endpoints and firewall rules; pulls are already authorised
with Entra ID (AcrPull role assignments), never with the admin password.
"""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure_native

from components.azure.base import AzureComponent
from components.azure.roles import principal_type, role_definition_id

SKU = "Standard"


@dataclass
class RegistryArgs:
    resource_group_name: pulumi.Input[str]
    """The platform's resource group."""
    location: str
    """The Azure region."""
    registry_name: pulumi.Input[str]
    """Globally unique registry name (`components.azure.naming.registry_name`)."""
    subscription_id: pulumi.Input[str] | None = None
    """With ``pusher_object_id``: the subscription the AcrPush role is defined in."""
    pusher_object_id: pulumi.Input[str] | None = None
    """The deployer, who pushes the training image (`az acr login`): AcrPush on this registry."""
    pusher_client_id: pulumi.Input[str] | None = None
    """The deployer's client id (user or service principal, `components.azure.roles`)."""


class Registry(AzureComponent):
    KIND = "Registry"

    def __init__(self, name: str, args: RegistryArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__(name, opts)
        self.registry = azure_native.containerregistry.Registry(
            f"{name}-acr",
            resource_group_name=args.resource_group_name,
            location=args.location,
            registry_name=args.registry_name,
            sku={"name": SKU},
            admin_user_enabled=False,
            anonymous_pull_enabled=False,
            opts=self.child(),
        )
        self.push_grant: azure_native.authorization.RoleAssignment | None = None
        if args.pusher_object_id is not None and args.subscription_id is not None:
            self.push_grant = azure_native.authorization.RoleAssignment(
                f"{name}-deployer-push",
                scope=self.registry.id,
                principal_id=args.pusher_object_id,
                principal_type=pulumi.Output.from_input(args.pusher_client_id).apply(
                    principal_type
                ),
                role_definition_id=pulumi.Output.from_input(args.subscription_id).apply(
                    lambda s: role_definition_id(s, "AcrPush")
                ),
                description="pioneer: the deployer pushes the training image",
                opts=self.child(),
            )
        self.register_outputs({"id": self.registry.id, "login_server": self.registry.login_server})
