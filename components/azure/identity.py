"""Identity: the user-assigned managed identity Azure ML compute runs as, and its grants.

Two role assignments, each scoped to exactly one resource:
Storage Blob Data Contributor on the platform's blob container (data,
checkpoints, models) and AcrPull on the registry (training images). Nothing is
granted at resource-group or subscription scope.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import partial

import pulumi
import pulumi_azure_native as azure_native

from components.azure.base import AzureComponent
from components.azure.roles import role_definition_id


@dataclass
class ComputeIdentityArgs:
    platform: str
    """The spec's name (in the grants' descriptions)."""
    resource_group_name: pulumi.Input[str]
    """The platform's resource group."""
    location: str
    """The Azure region."""
    subscription_id: pulumi.Input[str]
    """The subscription the built-in role definitions are read from."""
    container_id: pulumi.Input[str]
    """The platform blob container: the identity's only data scope."""
    registry_id: pulumi.Input[str]
    """The platform registry the compute pulls training images from."""


class ComputeIdentity(AzureComponent):
    KIND = "ComputeIdentity"

    def __init__(
        self, name: str, args: ComputeIdentityArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__(name, opts)
        self.identity = azure_native.managedidentity.UserAssignedIdentity(
            f"{name}-compute-id",
            resource_group_name=args.resource_group_name,
            location=args.location,
            opts=self.child(),
        )
        sub = pulumi.Output.from_input(args.subscription_id)
        self.assignments: dict[str, azure_native.authorization.RoleAssignment] = {}
        for role, scope, suffix in (
            ("Storage Blob Data Contributor", args.container_id, "blob"),
            ("AcrPull", args.registry_id, "acrpull"),
        ):
            self.assignments[role] = azure_native.authorization.RoleAssignment(
                f"{name}-compute-{suffix}",
                scope=scope,
                principal_id=self.identity.principal_id,
                principal_type="ServicePrincipal",
                role_definition_id=sub.apply(partial(role_definition_id, role=role)),
                description=f"pioneer {args.platform}: Azure ML compute -> {role}",
                opts=self.child(),
            )
        self.register_outputs(
            {
                "id": self.identity.id,
                "principal_id": self.identity.principal_id,
                "client_id": self.identity.client_id,
            }
        )
