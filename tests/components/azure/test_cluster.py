"""The AKS cluster: identity, Entra ID RBAC, workload identity, private API, node pools."""

from __future__ import annotations

import ipaddress

import pytest

from components.azure import node_pools
from components.azure.cluster import overlay_ranges
from cost.catalog import get_catalog
from stacks.mocks import azure as azure_mocks
from tests.components.azure.conftest import T, azure_config, by_suffix, gpu_pool, run_azure

SPOT_TAINT = "kubernetes.azure.com/scalesetpriority=spot:NoSchedule"
GPU_TAINT = "nvidia.com/gpu=present:NoSchedule"


def test_cluster_identity_rbac_and_workload_identity(dev_run):
    aks = dev_run.one(T["aks"]).inputs
    assert aks["identity"] == {"type": "SystemAssigned"}
    assert aks["aadProfile"] == {
        "managed": True,
        "enableAzureRBAC": True,
        "tenantID": azure_mocks.TENANT,
    }
    assert aks["disableLocalAccounts"] is True
    assert aks["enableRBAC"] is True
    assert aks["oidcIssuerProfile"] == {"enabled": True}
    assert aks["securityProfile"]["workloadIdentity"] == {"enabled": True}


def test_private_cluster_by_default_and_authorised_cidrs_when_public():
    config = azure_config()
    config["cluster"] = {}  # the spec's default: private (add-ons in a separate stack)
    run = run_azure(config)
    assert run.one(T["aks"]).inputs["apiServerAccessProfile"]["enablePrivateCluster"] is True
    config["cluster"] = {"private_endpoint": False, "authorized_cidrs": ["203.0.113.0/24"]}
    access = run_azure(config).one(T["aks"]).inputs["apiServerAccessProfile"]
    assert access == {"enablePrivateCluster": False, "authorizedIPRanges": ["203.0.113.0/24"]}


def test_system_pool_comes_from_the_first_cpu_pool(dev_run):
    (system,) = dev_run.one(T["aks"]).inputs["agentPoolProfiles"]
    nodes = by_suffix(dev_run, T["subnet"], "-nodes")
    assert system["name"] == "system" and system["mode"] == "System"
    assert system["vmSize"] == "Standard_D4s_v5"
    assert (system["minCount"], system["maxCount"], system["count"]) == (2, 3, 2)
    assert system["scaleSetPriority"] == "Regular"
    assert system["vnetSubnetID"] == nodes.id
    assert "nodeTaints" not in system


def test_spot_gpu_pool_is_a_separate_user_pool_with_spot_eviction_taints_and_labels(dev_run):
    (pool,) = dev_run.of_type(T["agent_pool"])
    aks = dev_run.one(T["aks"])
    args = pool.inputs
    assert args["resourceName"] == aks.state["name"]
    assert args["mode"] == "User"
    assert args["vmSize"] == get_catalog().instance_types("azure", "eastus", "A100-80GB", 8)[0]
    assert args["scaleSetPriority"] == "Spot"
    assert args["scaleSetEvictionPolicy"] == "Delete"
    assert args["spotMaxPrice"] == -1
    assert set(args["nodeTaints"]) == {SPOT_TAINT, GPU_TAINT}
    assert args["nodeLabels"] == {
        "pioneer.dev/pool": "train-a100",
        "pioneer.dev/capacity": "spot",
        "pioneer.dev/accelerator": "A100-80GB",
        "pioneer.dev/accelerator-count": "8",
    }
    assert args["enableAutoScaling"] is True
    assert (args["minCount"], args["maxCount"], args["count"]) == (0, 4, 0)  # scaled to zero
    assert args["osDiskSizeGB"] == 512
    assert args["vnetSubnetID"] == by_suffix(dev_run, T["subnet"], "-nodes").id


def test_on_demand_pool_is_regular_with_only_the_gpu_taint_and_keeps_its_minimum():
    config = azure_config()
    config["node_pools"].append(
        gpu_pool(
            "serve-t4",
            "on_demand",
            accelerator="T4",
            count=1,
            min_nodes=1,
            max_nodes=2,
            desired_nodes=2,
        )
    )
    pool = by_suffix(run_azure(config), T["agent_pool"], "-serve-t4").inputs
    assert pool["scaleSetPriority"] == "Regular"
    assert "scaleSetEvictionPolicy" not in pool and "spotMaxPrice" not in pool
    assert pool["nodeTaints"] == [GPU_TAINT]
    assert pool["vmSize"] == get_catalog().instance_types("azure", "eastus", "T4", 1)[0]
    assert (pool["minCount"], pool["maxCount"], pool["count"]) == (1, 2, 2)
    assert pool["agentPoolName"] == "servet4"


def test_explicit_instance_type_wins_over_the_catalog():
    config = azure_config()
    config["node_pools"][1]["instance_type"] = "Standard_NC96ads_A100_v4"
    config["node_pools"][1]["accelerators_per_node"] = 4
    pool = run_azure(config).one(T["agent_pool"]).inputs
    assert pool["vmSize"] == "Standard_NC96ads_A100_v4"


def test_without_a_cpu_pool_a_default_system_pool_is_created():
    config = azure_config()
    config["node_pools"] = [gpu_pool("gpu")]
    run = run_azure(config)
    (system,) = run.one(T["aks"]).inputs["agentPoolProfiles"]
    assert system["mode"] == "System" and system["vmSize"] == node_pools.DEFAULT_SYSTEM_VM
    assert system["minCount"] >= 1
    assert [p.inputs["mode"] for p in run.of_type(T["agent_pool"])] == ["User"]


def test_kubelet_may_pull_from_the_platform_registry_only(dev_run):
    grant = by_suffix(dev_run, T["role"], "-kubelet-acrpull").inputs
    aks = dev_run.one(T["aks"])
    assert grant["scope"] == dev_run.one(T["acr"]).id
    assert grant["principalId"] == aks.state["identityProfile"]["kubeletidentity"]["objectId"]
    assert grant["roleDefinitionId"].endswith("/7f951dda-4ed3-4680-a7ca-43fe172d538d")


def test_cluster_monitoring_goes_to_the_platform_log_analytics(dev_run):
    addon = dev_run.one(T["aks"]).inputs["addonProfiles"]["omsagent"]
    assert addon["enabled"] is True
    assert addon["config"]["logAnalyticsWorkspaceResourceID"] == dev_run.one(T["logs"]).id


@pytest.mark.parametrize("cidr", ["10.40.0.0/16", "192.168.0.0/16", "172.16.0.0/12", "10.0.0.0/8"])
def test_pod_and_service_ranges_never_overlap_the_vnet(cidr):
    pods, services, dns = overlay_ranges(cidr)
    vnet = ipaddress.ip_network(cidr)
    assert not vnet.overlaps(ipaddress.ip_network(pods))
    assert not vnet.overlaps(ipaddress.ip_network(services))
    assert ipaddress.ip_address(dns) in ipaddress.ip_network(services)


def test_release_channel_maps_to_an_aks_upgrade_channel():
    config = azure_config()
    config["cluster"]["release_channel"] = "RAPID"
    profile = run_azure(config).one(T["aks"]).inputs["autoUpgradeProfile"]
    assert profile["upgradeChannel"] == "rapid"


@pytest.mark.parametrize("protected", [True, False])
def test_cluster_deletion_protection_follows_the_spec(protected, monkeypatch):
    from components.azure import platform
    from components.azure.cluster import Cluster

    built: list[Cluster] = []

    def record(*args, **kwargs):
        built.append(Cluster(*args, **kwargs))
        return built[-1]

    monkeypatch.setattr(platform, "Cluster", record)
    config = azure_config()
    config["cluster"]["deletion_protection"] = protected
    run_azure(config)
    (cluster,) = built
    assert cluster.cluster._protect is protected
    assert cluster.agent_pools and all(not pool._protect for pool in cluster.agent_pools.values())


def test_blob_csi_driver_is_on_so_the_checkpoint_volume_mounts(dev_run):
    # The kubernetes backend mounts checkpoints with blob.csi.azure.com; AKS has it off.
    profile = dev_run.one(T["aks"]).inputs["storageProfile"]
    assert profile["blobCSIDriver"] == {"enabled": True}


def test_container_insights_rule_sends_cluster_logs_to_the_platform_workspace(dev_run):
    rule = dev_run.one("azure-native:monitor:DataCollectionRule")
    (destination,) = rule.inputs["destinations"]["logAnalytics"]
    assert destination["workspaceResourceId"] == dev_run.one(T["logs"]).id
    (flow,) = rule.inputs["dataFlows"]
    assert flow["destinations"] == [destination["name"]]
    (extension,) = rule.inputs["dataSources"]["extensions"]
    assert extension["extensionName"] == "ContainerInsights"
    assert flow["streams"] == extension["streams"]
    association = dev_run.one("azure-native:monitor:DataCollectionRuleAssociation").inputs
    assert association["resourceUri"] == dev_run.one(T["aks"]).id
    assert association["dataCollectionRuleId"] == rule.id


def test_training_pods_get_a_federated_identity_that_may_use_only_the_platform_container(dev_run):
    from components.k8s import NAMESPACE, SERVICE_ACCOUNT

    trainer = by_suffix(dev_run, T["uami"], "-workload-identity-trainer")
    federation = dev_run.one("azure-native:managedidentity:FederatedIdentityCredential").inputs
    assert federation["resourceName"] == trainer.state["name"]
    assert federation["issuer"] == dev_run.one(T["aks"]).state["oidcIssuerProfile"]["issuerURL"]
    assert federation["subject"] == f"system:serviceaccount:{NAMESPACE}:{SERVICE_ACCOUNT}"
    assert federation["audiences"] == ["api://AzureADTokenExchange"]
    grant = by_suffix(dev_run, T["role"], "-trainer-blob").inputs
    assert grant["scope"] == dev_run.one(T["container"]).id
    assert grant["principalId"] == trainer.state["principalId"]
    account = dev_run.one("kubernetes:core/v1:ServiceAccount").inputs["metadata"]
    assert account["annotations"] == {
        "azure.workload.identity/client-id": trainer.state["clientId"]
    }
    assert dev_run.outputs["workload_identity_client_id"] == trainer.state["clientId"]


def test_cluster_addons_install_jobset_and_the_gpu_device_plugin_after_the_pools(dev_run):
    releases = {r.inputs["name"]: r for r in dev_run.of_type("kubernetes:helm.sh/v3:Release")}
    assert set(releases) == {"jobset", "nvidia-device-plugin"}
    addons = next(r for r in dev_run.resources if r.type == "pioneer:k8s:ClusterAddons")
    pools = {p.urn for p in dev_run.of_type(T["agent_pool"])} | {dev_run.one(T["aks"]).urn}
    assert pools <= set(addons.dependencies)


def test_the_deployer_may_administer_this_clusters_objects_before_the_addons_install(dev_run):
    grant = by_suffix(dev_run, T["role"], "-deployer-admin")
    assert grant.inputs["scope"] == dev_run.one(T["aks"]).id
    assert grant.inputs["principalId"] == azure_mocks.uuid_id("object")  # get_client_config
    assert grant.inputs["roleDefinitionId"].endswith("/b1ff04bb-8a4e-4dc4-8eb5-8693973ce19b")
    addons = next(r for r in dev_run.resources if r.type == "pioneer:k8s:ClusterAddons")
    assert grant.urn in addons.dependencies


def test_aks_identity_may_join_the_node_subnet_before_pools_are_added(dev_run):
    # ARM (unlike the Azure CLI) grants the cluster identity nothing on a bring-your-own subnet.
    grant = by_suffix(dev_run, T["role"], "-subnet-network")
    aks = dev_run.one(T["aks"])
    nodes = [s for s in dev_run.of_type(T["subnet"]) if s.name.endswith("-nodes")]
    assert grant.inputs["scope"] == nodes[0].id
    assert grant.inputs["principalId"] == aks.state["identity"]["principalId"]
    assert grant.inputs["principalType"] == "ServicePrincipal"
    assert grant.inputs["roleDefinitionId"].endswith("4d97b98b-1d4f-4787-a291-c67834d212e7")
    for pool in dev_run.of_type(T["agent_pool"]):
        assert grant.urn in pool.dependencies, pool.name


def test_deployer_grant_states_the_callers_principal_type(dev_run):
    from components.azure.roles import principal_type

    # The mocks' caller is an app registration (a CI service principal).
    grant = by_suffix(dev_run, T["role"], "-deployer-admin")
    assert grant.inputs["principalType"] == "ServicePrincipal"
    assert principal_type("04b07795-8ddb-461a-bbee-02f9e1bf7b46") == "User"  # az login
    assert principal_type("9f1c6bd7-0f2c-4d5f-8a3e-000000000000") == "ServicePrincipal"


def test_deployer_may_upload_to_the_platform_container_only(dev_run):
    # Shared keys are off: without a data-plane grant every upload gets 403.
    grant = by_suffix(dev_run, T["role"], "-deployer-blob").inputs
    assert grant["scope"] == dev_run.one(T["container"]).id
    assert grant["roleDefinitionId"].endswith("ba92f5b4-2d11-453d-a403-e96b0029c9fe")
    assert grant["principalType"] == "ServicePrincipal"
    admin = by_suffix(dev_run, T["role"], "-deployer-admin").inputs
    assert grant["principalId"] == admin["principalId"]
