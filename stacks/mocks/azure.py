"""Azure answers for the mock monitor: ARM ids under /subscriptions/…/resourceGroups/….

Each resource type gets the id shape Azure gives it (child resources nest under
their parent: subnets under the VNet, containers under the account's blob
service, agent pools under the cluster, computes under the ML workspace) and
the computed properties code reads back: endpoints, login servers, vault URIs,
managed-identity principal ids, the AKS kubelet identity and OIDC issuer.
"""

from __future__ import annotations

import base64
from typing import Any

from stacks.mocks.ids import hex_id, split_token, uuid_id

SUBSCRIPTION = "00000000-0000-0000-0000-000000000000"
TENANT = "11111111-1111-1111-1111-111111111111"
# The well-known app id of the AKS Entra ID server (kubelogin's --server-id).
AKS_AAD_SERVER_APP_ID = "6dae42f8-4368-4678-94ff-3960e28e3630"
# The public client AKS puts in device-code kubeconfigs (Azure Kubernetes Service AAD Client).
AKS_AAD_CLIENT_APP_ID = "80faf920-1908-4b52-b5ef-a8e7bedfc67a"

# token kind -> (provider namespace, ARM collection, input holding the resource's own name)
_TYPES: dict[tuple[str, str], tuple[str, str, str]] = {
    ("resources", "ResourceGroup"): ("Microsoft.Resources", "resourceGroups", "resourceGroupName"),
    ("network", "VirtualNetwork"): ("Microsoft.Network", "virtualNetworks", "virtualNetworkName"),
    ("network", "NetworkSecurityGroup"): (
        "Microsoft.Network",
        "networkSecurityGroups",
        "networkSecurityGroupName",
    ),
    ("network", "PrivateEndpoint"): (
        "Microsoft.Network",
        "privateEndpoints",
        "privateEndpointName",
    ),
    ("privatedns", "PrivateZone"): ("Microsoft.Network", "privateDnsZones", "privateZoneName"),
    ("keyvault", "Vault"): ("Microsoft.KeyVault", "vaults", "vaultName"),
    ("storage", "StorageAccount"): ("Microsoft.Storage", "storageAccounts", "accountName"),
    ("containerregistry", "Registry"): (
        "Microsoft.ContainerRegistry",
        "registries",
        "registryName",
    ),
    ("containerservice", "ManagedCluster"): (
        "Microsoft.ContainerService",
        "managedClusters",
        "resourceName",
    ),
    ("operationalinsights", "Workspace"): (
        "Microsoft.OperationalInsights",
        "workspaces",
        "workspaceName",
    ),
    ("applicationinsights", "Component"): ("Microsoft.Insights", "components", "resourceName"),
    ("machinelearningservices", "Workspace"): (
        "Microsoft.MachineLearningServices",
        "workspaces",
        "workspaceName",
    ),
    ("monitor", "DataCollectionRule"): (
        "Microsoft.Insights",
        "dataCollectionRules",
        "dataCollectionRuleName",
    ),
    ("managedidentity", "UserAssignedIdentity"): (
        "Microsoft.ManagedIdentity",
        "userAssignedIdentities",
        "resourceName",
    ),
}
# Child resources: kind -> (parent id builder inputs, path under the parent, own-name input)
_CHILDREN: dict[tuple[str, str], tuple[tuple[str, str, str], str, str]] = {
    ("network", "Subnet"): (
        ("Microsoft.Network", "virtualNetworks", "virtualNetworkName"),
        "subnets",
        "subnetName",
    ),
    ("storage", "BlobServiceProperties"): (
        ("Microsoft.Storage", "storageAccounts", "accountName"),
        "blobServices",
        "blobServicesName",
    ),
    ("storage", "BlobContainer"): (
        ("Microsoft.Storage", "storageAccounts", "accountName"),
        "blobServices/default/containers",
        "containerName",
    ),
    ("storage", "ManagementPolicy"): (
        ("Microsoft.Storage", "storageAccounts", "accountName"),
        "managementPolicies",
        "managementPolicyName",
    ),
    ("keyvault", "Key"): (("Microsoft.KeyVault", "vaults", "vaultName"), "keys", "keyName"),
    ("privatedns", "VirtualNetworkLink"): (
        ("Microsoft.Network", "privateDnsZones", "privateZoneName"),
        "virtualNetworkLinks",
        "virtualNetworkLinkName",
    ),
    ("network", "PrivateDnsZoneGroup"): (
        ("Microsoft.Network", "privateEndpoints", "privateEndpointName"),
        "privateDnsZoneGroups",
        "privateDnsZoneGroupName",
    ),
    ("managedidentity", "FederatedIdentityCredential"): (
        ("Microsoft.ManagedIdentity", "userAssignedIdentities", "resourceName"),
        "federatedIdentityCredentials",
        "federatedIdentityCredentialResourceName",
    ),
    ("containerservice", "AgentPool"): (
        ("Microsoft.ContainerService", "managedClusters", "resourceName"),
        "agentPools",
        "agentPoolName",
    ),
    ("machinelearningservices", "Compute"): (
        ("Microsoft.MachineLearningServices", "workspaces", "workspaceName"),
        "computes",
        "computeName",
    ),
}


def _location(mocks: Any) -> str:
    return mocks.region.get("azure", "eastus")


def _autoname(args: Any) -> str:
    """What azure-native's auto-naming gives: the logical name plus a random suffix."""
    return f"{args.name}{hex_id(args.typ, args.name, n=8)}"


def _collection(kind: str) -> str:
    plural = kind[:-1] + "ies" if kind.endswith("y") else kind + "s"
    return plural[0].lower() + plural[1:]


def _rg_id(rg: str) -> str:
    return f"/subscriptions/{SUBSCRIPTION}/resourceGroups/{rg}"


def resource_id(args: Any) -> tuple[str, str]:
    """(ARM id, own name) for a resource, as Azure would assign them."""
    _, module, kind = split_token(args.typ)
    inputs = args.inputs
    rg = inputs.get("resourceGroupName", f"{args.name}-rg")
    if kind == "RoleAssignment":
        name = inputs.get("roleAssignmentName") or uuid_id(args.name)
        scope = inputs.get("scope", f"/subscriptions/{SUBSCRIPTION}")
        return f"{scope}/providers/Microsoft.Authorization/roleAssignments/{name}", name
    if kind == "DataCollectionRuleAssociation":  # an extension resource on its target
        name = inputs.get("associationName") or _autoname(args)
        return (
            f"{inputs.get('resourceUri', _rg_id(rg))}/providers/Microsoft.Insights/"
            f"dataCollectionRuleAssociations/{name}",
            name,
        )
    if (module, kind) == ("resources", "ResourceGroup"):
        name = inputs.get("resourceGroupName") or _autoname(args)
        return _rg_id(name), name
    if (module, kind) in _CHILDREN:
        (namespace, collection, parent_key), path, own = _CHILDREN[(module, kind)]
        name = inputs.get(own) or _autoname(args)
        parent = inputs.get(parent_key, f"{args.name}-parent")
        return f"{_rg_id(rg)}/providers/{namespace}/{collection}/{parent}/{path}/{name}", name
    namespace, collection, own = _TYPES.get(
        (module, kind), (f"Microsoft.{module.title()}", _collection(kind), "")
    )
    name = (inputs.get(own) if own else None) or _autoname(args)
    return f"{_rg_id(rg)}/providers/{namespace}/{collection}/{name}", name


def new_resource(args: Any, mocks: Any) -> tuple[str, dict]:
    _, module, kind = split_token(args.typ)
    state: dict[str, Any] = dict(args.inputs)
    rid, name = resource_id(args)
    location = args.inputs.get("location", _location(mocks))
    state.update(name=name, id=rid, location=location)
    if kind == "ResourceGroup":
        state["resourceGroupName"] = name
    identity = args.inputs.get("identity")
    if isinstance(identity, dict) and "SystemAssigned" in str(identity.get("type", "")):
        state["identity"] = {
            **identity,
            "principalId": uuid_id("principal", rid),
            "tenantId": TENANT,
        }
    if isinstance(identity, dict) and isinstance(identity.get("userAssignedIdentities"), list):
        # Requests list the identity ids; Azure answers with a map id -> principal/client ids.
        state["identity"] = {
            **state.get("identity", identity),
            "userAssignedIdentities": {
                uid: {"principalId": uuid_id("principal", uid), "clientId": uuid_id("client", uid)}
                for uid in identity["userAssignedIdentities"]
            },
        }
    state.update(_computed(module, kind, name, rid, location, args.inputs))
    return rid, state


def _computed(
    module: str, kind: str, name: str, rid: str, location: str, inputs: dict[str, Any]
) -> dict[str, Any]:
    """Outputs Azure computes for each type (only what differs from the inputs)."""
    if kind == "UserAssignedIdentity":
        return {
            "principalId": uuid_id("principal", rid),
            "clientId": uuid_id("client", rid),
            "tenantId": TENANT,
        }
    if kind == "StorageAccount":
        return {
            "primaryEndpoints": {
                s: f"https://{name}.{s}.core.windows.net/"
                for s in ("blob", "dfs", "file", "queue", "table", "web")
            }
        }
    if kind == "Vault":
        return {
            "properties": {
                **inputs.get("properties", {}),
                "vaultUri": f"https://{name}.vault.azure.net/",
            }
        }
    if (module, kind) == ("keyvault", "Key"):
        uri = f"https://{inputs.get('vaultName', 'vault')}.vault.azure.net/keys/{name}"
        return {"keyUri": uri, "keyUriWithVersion": f"{uri}/{hex_id(rid, n=32)}"}
    if kind == "Registry":
        return {"loginServer": f"{name}.azurecr.io"}
    if kind == "ManagedCluster":
        rg = rid.split("/")[4]
        kubelet = uuid_id("kubelet", rid)
        fqdn = f"{inputs.get('dnsPrefix', name)}-{hex_id(rid, n=8)}.hcp.{location}.azmk8s.io"
        private = inputs.get("apiServerAccessProfile", {}).get("enablePrivateCluster", False)
        node_rg = f"MC_{rg}_{name}_{location}"
        return {
            "fqdn": fqdn,
            **({"privateFQDN": fqdn.replace(".hcp.", ".privatelink.")} if private else {}),
            "nodeResourceGroup": node_rg,
            "identityProfile": {
                "kubeletidentity": {
                    "clientId": uuid_id("kubelet-client", rid),
                    "objectId": kubelet,
                    "resourceId": f"{_rg_id(node_rg)}/providers/Microsoft.ManagedIdentity/"
                    f"userAssignedIdentities/{name}-agentpool",
                }
            },
            "oidcIssuerProfile": {
                "enabled": True,
                "issuerURL": f"https://{location}.oic.prod-aks."
                f"azure.com/{TENANT}/{uuid_id('oidc', rid)}/",
            },
        }
    if (module, kind) == ("operationalinsights", "Workspace"):
        return {"customerId": uuid_id("la", rid)}
    if kind == "Component":
        key = uuid_id("ikey", rid)
        return {
            "instrumentationKey": key,
            "appId": uuid_id("app", rid),
            "connectionString": f"InstrumentationKey={key};IngestionEndpoint="
            f"https://{location}-0.in.applicationinsights.azure.com/",
        }
    if (module, kind) == ("machinelearningservices", "Workspace"):
        return {
            "workspaceId": uuid_id("mlw", rid),
            "discoveryUrl": f"https://{location}.api.azureml.ms/discovery",
            "mlFlowTrackingUri": f"azureml://{location}.api.azureml.ms/mlflow/v1.0{rid}",
        }
    return {}


def kubeconfig(cluster: str, resource_group: str, location: str) -> str:
    """An Entra ID kubeconfig as AKS returns it with ``format=exec``: kubelogin in its
    interactive device-code mode (the platform rewrites it to a non-interactive login)."""
    server = (
        f"https://{cluster}-{hex_id(resource_group, cluster, n=8)}.privatelink.{location}"
        f".azmk8s.io:443"
    )
    ca = base64.b64encode(b"-----BEGIN CERTIFICATE-----\nMOCK\n-----END CERTIFICATE-----\n")
    user = f"clusterUser_{resource_group}_{cluster}"
    return f"""apiVersion: v1
kind: Config
clusters:
- cluster:
    certificate-authority-data: {ca.decode()}
    server: {server}
  name: {cluster}
contexts:
- context:
    cluster: {cluster}
    user: {user}
  name: {cluster}
current-context: {cluster}
users:
- name: {user}
  user:
    exec:
      apiVersion: client.authentication.k8s.io/v1beta1
      command: kubelogin
      args: [get-token, --environment, AzurePublicCloud, --server-id, {AKS_AAD_SERVER_APP_ID},
        --client-id, {AKS_AAD_CLIENT_APP_ID}, --tenant-id, {TENANT}, --login, devicecode]
      interactiveMode: IfAvailable
      provideClusterInfo: false
"""


def call(args: Any, mocks: Any) -> dict:
    if args.token == "azure-native:authorization:getClientConfig":
        return {
            "clientId": uuid_id("client"),
            "objectId": uuid_id("object"),
            "subscriptionId": SUBSCRIPTION,
            "tenantId": TENANT,
        }
    if args.token == "azure-native:containerservice:listManagedClusterUserCredentials":
        config = kubeconfig(
            args.args.get("resourceName", "cluster"),
            args.args.get("resourceGroupName", "rg"),
            _location(mocks),
        )
        return {
            "kubeconfigs": [
                {"name": "clusterUser", "value": base64.b64encode(config.encode()).decode()}
            ]
        }
    return {}
