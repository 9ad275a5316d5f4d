"""Identity: the user-assigned managed identity Azure ML compute runs as, and its grants.

Two role assignments, each scoped to exactly one resource:
Storage Blob Data Contributor on the platform's blob container (data,
checkpoints, models) and AcrPull on the registry (training images). Nothing is
granted at resource-group or subscription scope.
"""

from __future__ import annotations

from functools import partial

import pulumi
import pulumi_azure_native as azure_native

from components.azure.base import AzureComponent
from components.azure.roles import role_definition_id
from components.spec import PlatformSpec


class ComputeIdentity(AzureComponent):
    KIND = "ComputeIdentity"

    def __init__(
        self,
        name: str,
        spec: PlatformSpec,
        *,
        resource_group_name: pulumi.Input[str],
        subscription_id: pulumi.Input[str],
        container_id: pulumi.Input[str],
        registry_id: pulumi.Input[str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(name, opts)
        self.identity = azure_native.managedidentity.UserAssignedIdentity(
            f"{name}-compute-id",
            resource_group_name=resource_group_name,
            location=spec.region,
            opts=self.child(),
        )
        sub = pulumi.Output.from_input(subscription_id)
        self.assignments: dict[str, azure_native.authorization.RoleAssignment] = {}
        for role, scope, suffix in (
            ("Storage Blob Data Contributor", container_id, "blob"),
            ("AcrPull", registry_id, "acrpull"),
        ):
            self.assignments[role] = azure_native.authorization.RoleAssignment(
                f"{name}-compute-{suffix}",
                scope=scope,
                principal_id=self.identity.principal_id,
                principal_type="ServicePrincipal",
                role_definition_id=sub.apply(partial(role_definition_id, role=role)),
                description=f"pioneer {spec.name}: Azure ML compute -> {role}",
                opts=self.child(),
            )
        self.register_outputs(
            {
                "id": self.identity.id,
                "principal_id": self.identity.principal_id,
                "client_id": self.identity.client_id,
            }
        )
