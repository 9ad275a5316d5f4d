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
    # Push (and pull) images to a container registry.
    "AcrPush": "8311e382-0749-4cb8-b61a-304f252e45ec",
    # Kubernetes objects of one AKS cluster (Azure RBAC for Kubernetes; no Azure resources).
    "Azure Kubernetes Service RBAC Cluster Admin": "b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b",
    # Wrap and unwrap with a Key Vault key (what a service needs for customer-managed keys).
    "Key Vault Crypto Service Encryption User": "e147488a-f6f5-4113-8e2d-b22465e65bf6",
    # Join and read a subnet (what AKS's identity needs on a bring-your-own node subnet).
    "Network Contributor": "4d97b98b-1d4f-4787-a291-c67834d212e7",
}

# Microsoft's public client apps a *person* signs in through (Azure CLI, Azure PowerShell,
# Visual Studio, VS Code): a caller with one of these client ids is a user; any other
# client id is an app registration or managed identity, i.e. a service principal.
USER_CLIENT_IDS = frozenset(
    {
        "04b07795-8ddb-461a-bbee-02f9e1bf7b46",  # Azure CLI
        "1950a258-227b-4e31-a9cf-717495945fc2",  # Azure PowerShell
        "872cd9fa-d31f-45e0-9eab-6e460a02d1f1",  # Visual Studio
        "aebc6443-996d-45c2-90f0-388ff96faa56",  # Visual Studio Code
    }
)


def principal_type(client_id: str | None) -> str:
    """``User`` or ``ServicePrincipal`` for the caller whose token carries `client_id`.

    A role assignment without ``principalType`` defaults to User, and ARM then
    fails for a service principal (``UnmatchedPrincipalType``) when the new
    principal has not replicated yet; stating the type avoids that lookup.
    """
    return "User" if (client_id or "").lower() in USER_CLIENT_IDS else "ServicePrincipal"


# Azure ML's own containers in the workspace's storage account: `azureml-blobstore-<workspace
# guid>` (the default datastore `workspaceblobstore`: code snapshots, job inputs/outputs) and
# `azureml` (`workspaceartifactstore`: run history and logs). Their names exist only once the
# workspace does, so the grant is at account scope with a condition on the container name.
AML_CONTAINER_PREFIX = "azureml"
BLOB_DATA_ACTIONS = tuple(
    f"Microsoft.Storage/storageAccounts/blobServices/containers/blobs/{a}"
    for a in ("read", "write", "delete", "add/action", "move/action")
)


def containers_condition(prefix: str) -> str:
    """An ABAC condition (version 2.0): blob data actions only in containers named `prefix*`.

    Format: learn.microsoft.com/azure/role-based-access-control/conditions-format.
    """
    actions = "\n AND ".join(f"!(ActionMatches{{'{a}'}})" for a in BLOB_DATA_ACTIONS)
    name = "@Resource[Microsoft.Storage/storageAccounts/blobServices/containers:name]"
    return f"(\n (\n {actions}\n )\n OR\n (\n  {name} StringStartsWith '{prefix}'\n )\n)"


def role_definition_id(subscription_id: str, role: str) -> str:
    """The ARM id of a built-in role, as a role assignment's ``role_definition_id`` wants it."""
    try:
        guid = BUILT_IN_ROLES[role]
    except KeyError:
        raise ValueError(f"role: {role!r} is not one of {', '.join(BUILT_IN_ROLES)}") from None
    return (
        f"/subscriptions/{subscription_id}/providers/Microsoft.Authorization/roleDefinitions/{guid}"
    )
