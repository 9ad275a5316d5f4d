"""Azure answers for the mock monitor: ids under /subscriptions/…/resourceGroups/…."""

from __future__ import annotations

from typing import Any

from stacks.mocks.ids import hex_id, split_token, uuid_id

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
TENANT = "11111111-1111-1111-1111-111111111111"
_NAMESPACE = {
    "resources": ("Microsoft.Resources", "resourceGroups"),
    "network": ("Microsoft.Network", None),
    "keyvault": ("Microsoft.KeyVault", None),
    "storage": ("Microsoft.Storage", None),
    "containerservice": ("Microsoft.ContainerService", None),
    "containerregistry": ("Microsoft.ContainerRegistry", None),
    "machinelearningservices": ("Microsoft.MachineLearningServices", None),
    "operationalinsights": ("Microsoft.OperationalInsights", None),
    "applicationinsights": ("Microsoft.Insights", None),
    "insights": ("Microsoft.Insights", None),
    "authorization": ("Microsoft.Authorization", None),
    "managedidentity": ("Microsoft.ManagedIdentity", None),
}
# The input that carries each resource's own name (azure-native names it per type).
_NAME_KEYS = ("resourceGroupName", "accountName", "vaultName", "registryName", "workspaceName",
              "resourceName", "virtualNetworkName", "networkSecurityGroupName", "containerName",
              "computeName", "agentPoolName", "subnetName", "roleAssignmentName")


def _location(mocks: Any) -> str:
    return mocks.region.get("azure", "eastus")


def new_resource(args: Any, mocks: Any) -> tuple[str, dict]:
    _, module, kind = split_token(args.typ)
    state: dict[str, Any] = dict(args.inputs)
    namespace, _ = _NAMESPACE.get(module, (f"Microsoft.{module.title()}", None))
    rg = args.inputs.get("resourceGroupName", f"{args.name}-rg")
    own = next((k for k in _NAME_KEYS[1:] if k in args.inputs and k != "resourceGroupName"), None)
    name = args.inputs.get(own) if own else None
    if kind == "ResourceGroup":
        name = args.inputs.get("resourceGroupName") or f"{args.name}{hex_id(args.name, n=6)}"
        rid = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{name}"
        state.update(resourceGroupName=name)
    else:
        name = name or f"{args.name}{hex_id(args.typ, args.name, n=6)}"
        plural = kind[0].lower() + kind[1:] + "s"
        if kind == "RoleAssignment":
            rid = f"{args.inputs.get('scope', '/subscriptions/' + SUBSCRIPTION)}/providers/" \
                  f"Microsoft.Authorization/roleAssignments/{uuid_id(args.name)}"
        else:
            rid = f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{rg}/providers/{namespace}/{plural}/{name}"
    state.update(name=name, id=rid, location=args.inputs.get("location", _location(mocks)))
    identity = args.inputs.get("identity")
    if isinstance(identity, dict) and "SystemAssigned" in str(identity.get("type", "")):
        state["identity"] = {**identity, "principalId": uuid_id("principal", rid), "tenantId": TENANT}
    if kind == "UserAssignedIdentity":
        state.update(principalId=uuid_id("principal", rid), clientId=uuid_id("client", rid),
                     tenantId=TENANT)
    return rid, state


def call(args: Any, mocks: Any) -> dict:
    if args.token == "azure-native:authorization:getClientConfig":
        return {"clientId": uuid_id("client"), "objectId": uuid_id("object"),
                "subscriptionId": SUBSCRIPTION, "tenantId": TENANT}
    return {}
