"""Key Vault: RBAC authorization (no access policies), soft delete and purge protection;
and, when the spec asks for customer-managed keys, the storage account's key."""

from __future__ import annotations

from dataclasses import dataclass

import pulumi
import pulumi_azure_native as azure_native

from components.azure.base import AzureComponent

# The storage key rotates yearly; Azure Storage follows the newest version by itself.
_ACTION = azure_native.keyvault.KeyRotationPolicyActionType
KEY_ROTATION: azure_native.keyvault.RotationPolicyArgsDict = {
    "attributes": {"expiry_time": "P2Y"},
    "lifetime_actions": [
        {"trigger": {"time_after_create": "P1Y"}, "action": {"type": _ACTION.ROTATE}},
        {"trigger": {"time_before_expiry": "P30D"}, "action": {"type": _ACTION.NOTIFY}},
    ],
}
# Key Vault keeps deleted vaults 7-90 days; the spec's soft-delete window is clamped into it.
MIN_RETENTION_DAYS, MAX_RETENTION_DAYS = 7, 90


def retention_days(soft_delete_days: int) -> int:
    return min(max(soft_delete_days, MIN_RETENTION_DAYS), MAX_RETENTION_DAYS)


@dataclass
class KeyVaultArgs:
    resource_group_name: pulumi.Input[str]
    """The platform's resource group."""
    location: str
    """The Azure region."""
    vault_name: pulumi.Input[str]
    """Globally unique vault name (`components.azure.naming.key_vault_name`)."""
    tenant_id: pulumi.Input[str]
    """The Entra tenant whose RBAC authorises data access."""
    nodes_subnet_id: pulumi.Input[str]
    """The cluster node subnet, admitted through the vault firewall."""
    soft_delete_days: int = 7
    """The spec's soft-delete window, clamped into Key Vault's 7-90 days."""
    storage_key: bool = True
    """Create the storage account's customer-managed key."""


class KeyVault(AzureComponent):
    """A standard-SKU vault: Azure RBAC for data access, firewall deny-by-default.

    Trusted Azure services (Azure ML) bypass the firewall; the cluster's node
    subnet is admitted through its service endpoint.
    """

    KIND = "KeyVault"

    def __init__(
        self,
        name: str,
        args: KeyVaultArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__(name, opts)
        resource_group_name = args.resource_group_name
        self.vault = azure_native.keyvault.Vault(
            f"{name}-kv",
            resource_group_name=resource_group_name,
            location=args.location,
            vault_name=args.vault_name,
            properties={
                "tenant_id": args.tenant_id,
                "sku": {"family": "A", "name": azure_native.keyvault.SkuName.STANDARD},
                "enable_rbac_authorization": True,
                "enable_soft_delete": True,
                "soft_delete_retention_in_days": retention_days(args.soft_delete_days),
                "enable_purge_protection": True,
                "network_acls": {
                    "default_action": "Deny",
                    "bypass": "AzureServices",
                    "virtual_network_rules": [{"id": args.nodes_subnet_id}],
                },
            },
            opts=self.child(),
        )
        self.vault_uri = self.vault.properties.apply(lambda p: p.vault_uri)
        self.storage_key: azure_native.keyvault.Key | None = None
        if args.storage_key:
            self.storage_key = azure_native.keyvault.Key(
                f"{name}-storage-key",
                resource_group_name=resource_group_name,
                vault_name=self.vault.name,
                key_name="storage",
                properties={
                    "kty": "RSA",
                    "key_size": 3072,
                    "key_ops": ["wrapKey", "unwrapKey"],
                    "rotation_policy": KEY_ROTATION,
                },
                opts=self.child(),
            )
        self.register_outputs(
            {
                "id": self.vault.id,
                "vault_uri": self.vault_uri,
                "storage_key_id": self.storage_key.id if self.storage_key else None,
            }
        )
