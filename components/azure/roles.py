"""Built-in Azure role definitions pioneer assigns, by their fixed GUIDs.

The GUIDs are the same in every tenant; see
https://learn.microsoft.com/azure/role-based-access-control/built-in-roles.
Every assignment pioneer makes is scoped to one resource (a blob container, a
registry, a key), never to a subscription or resource group.
"""

from __future__ import annotations

BUILT_IN_ROLES: dict[str, str] = {
    # Read, write and delete blobs and containers (data plane only; no account keys).
    "Storage Blob Data Contributor": "ba92f5b4-2d11-453d-a403-e96b0029c9fe",
    # Pull images from a container registry.
    "AcrPull": "7f951dda-4ed3-4680-a7ca-43fe172d538d",
    # Kubernetes objects of one AKS cluster (Azure RBAC for Kubernetes; no Azure resources).
    "Azure Kubernetes Service RBAC Cluster Admin": "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    # Wrap and unwrap with a Key Vault key (what a service needs for customer-managed keys).
    "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
}


def role_definition_id(subscription_id: str, role: str) -> str:
    """The ARM id of a built-in role, as a role assignment's ``role_definition_id`` wants it."""
    try:
        guid = BUILT_IN_ROLES[role]
    except KeyError:
        raise ValueError(f"role: {role!r} is not one of {', '.join(BUILT_IN_ROLES)}") from None
    return (
        f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    )
