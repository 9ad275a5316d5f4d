"""Storage: a StorageV2 account for data, checkpoints and models, and its private container.

Secure defaults: no anonymous blob access, HTTPS only, TLS 1.2, double
encryption (infrastructure encryption) with a customer-managed Key Vault key
unless the spec turns that off, and no shared keys or SAS tokens at
all — every client signs in with Entra ID. The Azure ML workspace is set to
identity-based access to its system datastores, which is what lets shared
keys stay off.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from typing import Any

import pulumi
import pulumi_azure_native as azure_native

from components.azure.base import AzureComponent
from components.azure.roles import principal_type, role_definition_id
from components.iam_propagation import after_grants

CONTAINER = "platform"


@dataclass
class StorageArgs:
    platform: str
    """The spec's name (in the grants' descriptions)."""
    resource_group_name: pulumi.Input[str]
    """The platform's resource group."""
    location: str
    """The Azure region."""
    account_name: pulumi.Input[str]
    """Globally unique account name (`components.azure.naming.storage_account_name`)."""
    subscription_id: pulumi.Input[str]
    """The subscription the built-in role definitions are read from."""
    versioning: bool = True
    """Blob versioning (old checkpoint versions expire after ``checkpoint_retention_days``)."""
    public_access: bool = False
    """Secure default False: no anonymous blob access."""
    soft_delete_days: int = 7
    """Blob and container soft delete; 0 turns it off."""
    checkpoint_retention_days: int = 30
    """Noncurrent blob versions are deleted after this many days."""
    key: azure_native.keyvault.Key | None = None
    """A Key Vault key to encrypt with (customer-managed); None: Microsoft-managed keys."""
    key_vault_uri: pulumi.Input[str] | None = None
    """The vault holding ``key``."""
    deployer_object_id: pulumi.Input[str] | None = None
    """The identity running `pulumi up` / `pioneer train`: blob data rights on the container."""
    deployer_client_id: pulumi.Input[str] | None = None
    """The client id in the deployer's token (user or service principal)."""


class Storage(AzureComponent):
    """Account, blob service settings (versioning, soft delete) and one private container.

    With a ``key`` (a Key Vault key), the account encrypts with it through a
    user-assigned identity that may use exactly that key and nothing else.
    """

    KIND = "Storage"

    def __init__(
        self,
        name: str,
        args: StorageArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(name, opts)
        cfg, key, key_vault_uri = args, args.key, args.key_vault_uri
        resource_group_name, subscription_id = args.resource_group_name, args.subscription_id
        encryption: azure_native.storage.EncryptionArgsDict = {
            "key_source": "Microsoft.Storage",
            "services": {
                "blob": {"enabled": True, "key_type": "Account"},
                "file": {"enabled": True, "key_type": "Account"},
            },
            "require_infrastructure_encryption": True,
        }
        cmk: dict[str, Any] = {}
        self.key_grant: azure_native.authorization.RoleAssignment | None = None
        if key is not None:
            self.encryption_identity = azure_native.managedidentity.UserAssignedIdentity(
                f"{name}-cmk-id",
                resource_group_name=resource_group_name,
                location=args.location,
                opts=self.child(),
            )
            role = "Key Vault Crypto Service Encryption User"
            self.key_grant = azure_native.authorization.RoleAssignment(
                f"{name}-cmk-key-user",
                scope=key.id,
                principal_id=self.encryption_identity.principal_id,
                principal_type="ServicePrincipal",
                role_definition_id=pulumi.Output.from_input(subscription_id).apply(
                    functools.partial(role_definition_id, role=role)
                ),
                description=f"pioneer {args.platform}: storage encryption -> {role}",
                opts=self.child(),
            )
            encryption["key_source"] = "Microsoft.Keyvault"
            # No key version: the account follows the key's rotation automatically.
            encryption["key_vault_properties"] = {
                "key_name": key.name,
                "key_vault_uri": key_vault_uri,
            }
            encryption["encryption_identity"] = {
                "encryption_user_assigned_identity": self.encryption_identity.id
            }
            cmk = {
                "identity": {
                    "type": "UserAssigned",
                    "user_assigned_identities": [self.encryption_identity.id],
                }
            }
        self.account = azure_native.storage.StorageAccount(
            f"{name}-account",
            resource_group_name=resource_group_name,
            location=args.location,
            account_name=args.account_name,
            kind="StorageV2",
            sku={"name": "Standard_ZRS"},
            access_tier=azure_native.storage.AccessTier.HOT,
            allow_blob_public_access=cfg.public_access,
            enable_https_traffic_only=True,
            minimum_tls_version="TLS1_2",
            allow_shared_key_access=False,
            default_to_o_auth_authentication=True,
            allow_cross_tenant_replication=False,
            encryption=encryption,
            **cmk,
            # the account reads the key as the identity just granted: wait for propagation
            opts=self.child(
                depends_on=[
                    self.key_grant,
                    after_grants(f"{name}-cmk-propagation", [self.key_grant], parent=self),
                ]
                if self.key_grant
                else []
            ),  # fmt: skip
        )
        retention: azure_native.storage.DeleteRetentionPolicyArgsDict = {
            "enabled": cfg.soft_delete_days > 0
        }
        if cfg.soft_delete_days:
            retention["days"] = cfg.soft_delete_days
        self.blob_service = azure_native.storage.BlobServiceProperties(
            f"{name}-blob-service",
            resource_group_name=resource_group_name,
            account_name=self.account.name,
            blob_services_name="default",
            is_versioning_enabled=cfg.versioning,
            delete_retention_policy=retention,
            container_delete_retention_policy=retention,
            opts=self.child(),
        )
        self.container = azure_native.storage.BlobContainer(
            f"{name}-container",
            resource_group_name=resource_group_name,
            account_name=self.account.name,
            container_name=CONTAINER,
            public_access=(
                azure_native.storage.PublicAccess.CONTAINER
                if cfg.public_access
                else azure_native.storage.PublicAccess.NONE
            ),
            opts=self.child(depends_on=[self.blob_service]),
        )
        # Shared keys are off, so nobody has data-plane rights until granted: the deployer
        # uploads code and data (`pioneer train`) to this container and nothing else.
        self.deployer_grant: azure_native.authorization.RoleAssignment | None = None
        if args.deployer_object_id is not None:
            role = "Storage Blob Data Contributor"
            self.deployer_grant = azure_native.authorization.RoleAssignment(
                f"{name}-deployer-blob",
                scope=self.container.id,
                principal_id=args.deployer_object_id,
                principal_type=pulumi.Output.from_input(args.deployer_client_id).apply(
                    principal_type
                ),
                role_definition_id=pulumi.Output.from_input(subscription_id).apply(
                    functools.partial(role_definition_id, role=role)
                ),
                description=f"pioneer {args.platform}: the deployer -> {role} (container)",
                opts=self.child(),
            )
        # Old checkpoint versions (noncurrent blob versions) expire after the spec's retention.
        self.lifecycle = azure_native.storage.ManagementPolicy(
            f"{name}-lifecycle",
            resource_group_name=resource_group_name,
            account_name=self.account.name,
            management_policy_name="default",
            policy={
                "rules": [
                    {
                        "name": "expire-noncurrent-versions",
                        "enabled": True,
                        "type": "Lifecycle",
                        "definition": {
                            "filters": {"blob_types": ["blockBlob"]},
                            "actions": {
                                "version": {
                                    "delete": {
                                        "days_after_creation_greater_than": cfg.checkpoint_retention_days
                                    }
                                }
                            },
                        },
                    }
                ]
            },
            opts=self.child(depends_on=[self.blob_service]),
        )
        self.register_outputs(
            {
                "account_id": self.account.id,
                "account_name": self.account.name,
                "container_id": self.container.id,
                "container_name": self.container.name,
            }
        )
