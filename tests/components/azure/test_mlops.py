"""Azure ML: the workspace's links, AmlCompute per GPU pool, the compute identity and its grants."""

from __future__ import annotations

import pytest

from components.azure.mlops import idle_time
from components.azure.roles import BUILT_IN_ROLES
from stacks.mocks import azure as azure_mocks
from tests.components.azure.conftest import T, azure_config, by_suffix, gpu_pool, run_azure


def test_workspace_references_exactly_the_resources_created_for_it(dev_run):
    ws = dev_run.one(T["workspace"]).inputs
    assert ws["storageAccount"] == dev_run.one(T["account"]).id
    assert ws["keyVault"] == dev_run.one(T["vault"]).id
    assert ws["applicationInsights"] == dev_run.one(T["appinsights"]).id
    assert ws["containerRegistry"] == dev_run.one(T["acr"]).id
    assert ws["identity"] == {"type": "SystemAssigned"}
    assert ws["systemDatastoresAuthMode"] == "identity"  # what lets shared keys stay off


@pytest.mark.parametrize(("public", "expected"), [(False, "Disabled"), (True, "Enabled")])
def test_workspace_public_network_access_follows_the_spec(public, expected):
    config = azure_config()
    config["mlops"]["public_network_access"] = public
    assert run_azure(config).one(T["workspace"]).inputs["publicNetworkAccess"] == expected


def test_spot_pool_gets_low_priority_compute_that_scales_to_zero(dev_run):
    compute = dev_run.one(T["compute"])
    props = compute.inputs["properties"]
    assert compute.inputs["workspaceName"] == dev_run.one(T["workspace"]).state["name"]
    assert props["computeType"] == "AmlCompute"
    assert props["disableLocalAuth"] is True
    inner = props["properties"]
    assert inner["vmPriority"] == "LowPriority"
    assert inner["vmSize"] == dev_run.one(T["agent_pool"]).inputs["vmSize"]
    assert inner["scaleSettings"] == {
        "minNodeCount": 0,
        "maxNodeCount": 4,
        "nodeIdleTimeBeforeScaleDown": "PT15M",
    }
    assert inner["enableNodePublicIp"] is False
    assert inner["remoteLoginPortPublicAccess"] == "Disabled"


def test_compute_runs_as_the_user_assigned_identity(dev_run):
    identity = by_suffix(dev_run, T["uami"], "-compute-id")
    assert dev_run.one(T["compute"]).inputs["identity"] == {
        "type": "UserAssigned",
        "userAssignedIdentities": [identity.id],
    }


def test_one_compute_per_gpu_pool_dedicated_for_on_demand_with_the_spec_idle_time():
    config = azure_config()
    config["node_pools"].append(
        gpu_pool("a-very-long-pool-name-t4", "on_demand", accelerator="T4", count=1, max_nodes=2)
    )
    config["mlops"]["compute_idle_minutes"] = 90
    run = run_azure(config)
    computes = {
        c.inputs["computeName"]: c.inputs["properties"]["properties"]
        for c in run.of_type(T["compute"])
    }
    assert len(computes) == 2  # the CPU system pool gets no AmlCompute
    long_name = next(n for n in computes if n != "train-a100")
    assert len(long_name) <= 16 and long_name.startswith("a-very-long")
    assert computes[long_name]["vmPriority"] == "Dedicated"
    assert computes["train-a100"]["vmPriority"] == "LowPriority"
    assert all(
        c["scaleSettings"]["nodeIdleTimeBeforeScaleDown"] == "PT1H30M" for c in computes.values()
    )
    assert {c["name"]: c["priority"] for c in run.outputs["compute_clusters"]} == {
        "train-a100": "LowPriority",
        long_name: "Dedicated",
    }


@pytest.mark.parametrize(
    ("minutes", "iso"), [(1, "PT1M"), (15, "PT15M"), (60, "PT1H"), (61, "PT1H1M"), (1440, "PT24H")]
)
def test_idle_time_is_an_iso8601_duration(minutes, iso):
    assert idle_time(minutes) == iso


def test_compute_identity_gets_blob_contributor_on_the_container_and_acrpull_on_the_registry(
    dev_run,
):
    identity = by_suffix(dev_run, T["uami"], "-compute-id")
    blob = by_suffix(dev_run, T["role"], "-compute-blob").inputs
    pull = by_suffix(dev_run, T["role"], "-compute-acrpull").inputs
    sub = azure_mocks.SUBSCRIPTION
    assert blob["scope"] == dev_run.one(T["container"]).id
    assert blob["roleDefinitionId"] == (
        f"/subscriptions/{sub}/providers/Microsoft.Authorization/"
        f"roleDefinitions/{BUILT_IN_ROLES['Storage Blob Data Contributor']}"
    )
    assert pull["scope"] == dev_run.one(T["acr"]).id
    assert pull["roleDefinitionId"].endswith("/" + BUILT_IN_ROLES["AcrPull"])
    for grant in (blob, pull):
        assert grant["principalId"] == identity.state["principalId"]
        assert grant["principalType"] == "ServicePrincipal"


def test_no_role_assignment_is_scoped_to_a_subscription_or_resource_group(dev_run):
    grants = dev_run.of_type(T["role"])
    # compute: blob + acr; kubelet: acr; storage encryption: key; training pods: blob;
    # the deployer: the cluster's Kubernetes objects, the platform container's blobs and
    # AcrPush for the training image; the cluster identity: Network Contributor on the node
    # subnet; the deployer and the compute: Azure ML's containers (account scope, conditioned
    # on the container names)
    assert len(grants) == 11
    for grant in grants:
        scope = grant.inputs["scope"]
        parts = scope.strip("/").split("/")
        # /subscriptions/S/resourceGroups/RG/providers/NS/TYPE/NAME[/...]: a resource, deeper
        assert len(parts) >= 8 and parts[4] == "providers", scope


def test_compute_waits_for_its_identitys_grants(dev_run):
    grants = {g.urn for g in dev_run.of_type(T["role"]) if "-compute-" in g.name}
    compute = dev_run.one(T["compute"])
    assert grants <= set(compute.dependencies)


def test_private_workspace_is_reachable_through_a_private_endpoint_in_the_endpoints_subnet():
    config = azure_config()
    config["mlops"]["public_network_access"] = False
    dev_run = run_azure(config)
    pe = dev_run.one("azure-native:network:PrivateEndpoint").inputs
    assert pe["subnet"] == {"id": by_suffix(dev_run, T["subnet"], "-endpoints").id}
    (conn,) = pe["privateLinkServiceConnections"]
    assert conn["privateLinkServiceId"] == dev_run.one(T["workspace"]).id
    assert conn["groupIds"] == ["amlworkspace"]
    zones = dev_run.of_type("azure-native:privatedns:PrivateZone")
    assert {z.inputs["privateZoneName"] for z in zones} == {
        "privatelink.api.azureml.ms",
        "privatelink.notebooks.azure.net",
    }
    vnet = dev_run.one(T["vnet"])
    links = dev_run.of_type("azure-native:privatedns:VirtualNetworkLink")
    assert sorted(lk.inputs["privateZoneName"] for lk in links) == sorted(
        z.state["name"] for z in zones
    )
    assert all(lk.inputs["virtualNetwork"] == {"id": vnet.id} for lk in links)
    group = dev_run.one("azure-native:network:PrivateDnsZoneGroup").inputs
    assert {c["privateDnsZoneId"] for c in group["privateDnsZoneConfigs"]} == {z.id for z in zones}


def test_public_workspace_gets_no_private_endpoint():
    config = azure_config()
    config["mlops"]["public_network_access"] = True
    run = run_azure(config)
    assert run.of_type("azure-native:network:PrivateEndpoint") == []
    assert run.of_type("azure-native:privatedns:PrivateZone") == []


def test_mlops_disabled_creates_no_azure_ml_resources_and_empty_outputs():
    config = azure_config()
    config["mlops"]["enabled"] = False
    run = run_azure(config)
    assert [r for r in run.resources if ":machinelearningservices:" in r.type] == []
    assert run.of_type("azure-native:network:PrivateEndpoint") == []
    assert [r.name for r in run.of_type(T["uami"]) if r.name.endswith("-compute-id")] == []
    assert run.outputs["workspace_name"] is None
    assert run.outputs["compute_clusters"] == []
    assert run.outputs["compute_identity_client_id"] is None
    assert run.one(T["aks"]) and run.of_type(T["agent_pool"])  # the cluster stays


def test_deployer_and_compute_may_use_azure_ml_containers_only(dev_run):
    """#16.7: code snapshots and job outputs live in Azure ML's own containers; with shared
    keys off nobody could write them. One account-scope grant each, conditioned on the name."""
    account = dev_run.one(T["account"]).id
    grants = [
        r for r in dev_run.of_type("azure-native:authorization:RoleAssignment")
        if r.name.endswith("-aml-blob")
    ]  # fmt: skip
    assert sorted(r.name.split("-")[-3] for r in grants) == ["compute", "deployer"]
    for g in grants:
        assert g.inputs["scope"] == account
        assert g.inputs["roleDefinitionId"].endswith(
            BUILT_IN_ROLES["Storage Blob Data Contributor"]
        )
        assert g.inputs["conditionVersion"] == "2.0"
        cond = g.inputs["condition"]
        assert "containers:name] StringStartsWith 'azureml'" in cond
        assert cond.count("ActionMatches") == 5 and "blobs/write" in cond
    deployer = next(g for g in grants if "-deployer-" in g.name)
    assert deployer.inputs["principalType"] in ("User", "ServicePrincipal")
    # no compute node starts before its grant exists
    compute = dev_run.one(T["compute"])
    assert all(g.urn in compute.dependencies for g in grants)
