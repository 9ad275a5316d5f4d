"""Stack outputs of the Azure platform and `pioneer plan azure-dev --json` (the issue's "done when")."""

from __future__ import annotations

import json

import yaml
from typer.testing import CliRunner

from components.outputs import output_keys
from stacks.cli import app
from tests.components.azure.conftest import T, by_suffix

OUTPUT_KEYS = set(output_keys("azure"))


def test_outputs_name_what_was_created(dev_run):
    out = dev_run.outputs
    assert set(out) == OUTPUT_KEYS
    assert out["resource_group"] == dev_run.one(T["rg"]).state["name"]
    assert out["region"] == "eastus"
    assert out["storage_account"] == dev_run.one(T["account"]).inputs["accountName"]
    assert out["bucket_name"] == "platform"
    assert out["bucket_url"] == (f"https://{out['storage_account']}.blob.core.windows.net/platform")
    assert (
        out["key_vault_uri"]
        == f"https://{dev_run.one(T['vault']).inputs['vaultName']}.vault.azure.net/"
    )
    assert out["registry_url"] == f"{dev_run.one(T['acr']).inputs['registryName']}.azurecr.io"
    assert out["cluster_name"] == dev_run.one(T["aks"]).state["name"]
    # azure-dev's API server is public, limited to authorized_cidrs
    assert out["cluster_endpoint"] == dev_run.one(T["aks"]).state["fqdn"]
    assert out["workspace_name"] == dev_run.one(T["workspace"]).state["name"]
    identity = by_suffix(dev_run, T["uami"], "-compute-id").state
    assert out["compute_identity_principal_id"] == identity["principalId"]
    assert out["compute_identity_client_id"] == identity["clientId"]
    assert out["compute_clusters"] == [
        {
            "name": "train-a100",
            "priority": "LowPriority",
            "pool": "train-a100",
            "vm_size": dev_run.one(T["compute"]).inputs["properties"]["properties"]["vmSize"],
        }
    ]


def test_node_pools_output_describes_every_aks_pool(dev_run):
    pools = {p["name"]: p for p in dev_run.outputs["node_pools"]}
    assert pools["system"] == {
        "name": "system",
        "agent_pool": "system",
        "mode": "System",
        "capacity": "on_demand",
        "accelerator": None,
        "accelerators_per_node": 0,
        "vm_size": "Standard_D4s_v5",
        "min_nodes": 2,
        "max_nodes": 3,
    }
    gpu = dev_run.one(T["agent_pool"]).inputs
    assert pools["train-a100"] == {
        "name": "train-a100",
        "agent_pool": gpu["agentPoolName"],
        "mode": "User",
        "capacity": "spot",
        "accelerator": "A100-80GB",
        "accelerators_per_node": 8,
        "vm_size": gpu["vmSize"],
        "min_nodes": 0,
        "max_nodes": 4,
    }
    assert (
        dev_run.outputs["oidc_issuer_url"]
        == (dev_run.one(T["aks"]).state["oidcIssuerProfile"]["issuerURL"])
    )


def test_pool_labels_are_the_ones_the_kubernetes_backend_selects_on(dev_run):
    from components.k8s.addons import ACCELERATOR_LABEL, CAPACITY_LABEL, POOL_LABEL

    labels = dev_run.one(T["agent_pool"]).inputs["nodeLabels"]
    assert labels[POOL_LABEL] == "train-a100"
    assert labels[ACCELERATOR_LABEL] == "A100-80GB"
    assert labels[CAPACITY_LABEL] == "spot"


def test_training_backends_dry_run_on_the_azure_dev_outputs():
    runner = CliRunner()
    result = runner.invoke(
        app, ["train", "--backend", "kubernetes", "--stack", "azure-dev", "--dry-run", "--json"]
    )
    assert result.exit_code == 0, result.output
    (jobset,) = [o for o in json.loads(result.stdout)["objects"] if o["kind"] == "JobSet"]
    pod = jobset["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]["spec"]
    assert pod["nodeSelector"]["pioneer.dev/pool"] == "train-a100"
    result = runner.invoke(
        app, ["train", "--backend", "azureml", "--stack", "azure-dev", "--dry-run", "--json"]
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["request"]["properties"]["computeId"] == "train-a100"


def test_kubeconfig_is_a_secret_entra_id_kubeconfig_without_static_credentials(dev_run):
    assert dev_run.secret_outputs == {"kubeconfig"}
    config = yaml.safe_load(dev_run.outputs["kubeconfig"])
    (user,) = config["users"]
    assert user["user"]["exec"]["command"] == "kubelogin"
    assert "token" not in user["user"] and "client-key-data" not in user["user"]
    assert config["clusters"][0]["name"] == dev_run.outputs["cluster_name"]


def test_kubeconfig_signs_in_without_an_interactive_device_code(dev_run):
    """AKS returns `kubelogin --login devicecode`; `pulumi up` and `pioneer train` would stop."""
    (user,) = yaml.safe_load(dev_run.outputs["kubeconfig"])["users"]
    args = user["user"]["exec"]["args"]
    assert args[args.index("--login") + 1] == "azurecli" and args.count("--login") == 1
    assert "devicecode" not in args and "--client-id" not in args
    assert args[args.index("--server-id") + 1] == "6dae42f8-4368-4678-94ff-3960e28e3630"
    assert user["user"]["exec"]["interactiveMode"] == "Never"


def test_pioneer_plan_azure_dev_json_shows_the_secure_platform():
    result = CliRunner().invoke(app, ["plan", "azure-dev", "--json"])
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    by_type: dict[str, list[dict]] = {}
    ids: dict[str, list[str]] = {}
    for step in doc["steps"]:
        state = step["newState"]
        by_type.setdefault(state["type"], []).append(state["inputs"])
        ids.setdefault(state["type"], []).append(state.get("id"))

    def one(t: str) -> dict:
        (inputs,) = by_type[t]
        return inputs

    assert one(T["rg"])["location"] == "eastus"
    assert one(T["vnet"])["addressSpace"]["addressPrefixes"] == ["10.40.0.0/16"]
    assert one(T["vault"])["properties"]["enablePurgeProtection"] is True
    account = one(T["account"])
    assert account["allowBlobPublicAccess"] is False and account["minimumTlsVersion"] == "TLS1_2"
    assert one(T["container"])["publicAccess"] == "None"
    (logs_id,) = ids[T["logs"]]
    assert one(T["appinsights"])["workspaceResourceId"] == logs_id
    assert one(T["acr"])["adminUserEnabled"] is False
    assert one(T["aks"])["disableLocalAccounts"] is True
    assert one(T["agent_pool"])["scaleSetPriority"] == "Spot"
    # the dev stack's workspace is reachable for `pioneer train` (Entra ID only)
    assert one(T["workspace"])["publicNetworkAccess"] == "Enabled"
    assert one(T["compute"])["properties"]["properties"]["vmPriority"] == "LowPriority"
    scopes = sorted(g["scope"].split("/providers/")[-1].split("/")[1] for g in by_type[T["role"]])
    assert scopes == [
        "managedClusters",
        "registries",
        "registries",
        "registries",  # the deployer pushes the training image (AcrPush)
        "storageAccounts",
        "storageAccounts",
        "storageAccounts",  # the deployer's blob rights on the platform container
        "storageAccounts",  # deployer and compute: Azure ML's containers (conditioned)
        "storageAccounts",
        "vaults",
        "virtualNetworks",  # AKS's Network Contributor on the node subnet
    ]
    assert doc["outputs"]["kubeconfig"] == "[secret]"
    assert doc["outputs"]["compute_clusters"][0]["priority"] == "LowPriority"
