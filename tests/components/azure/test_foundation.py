"""Resource group, network, Key Vault, storage, observability and registry of the azure-dev stack."""

from __future__ import annotations

import ipaddress

from stacks.mocks import azure as azure_mocks
from tests.components.azure.conftest import T, azure_config, by_suffix, run_azure


def test_one_resource_group_in_the_spec_region_holds_everything(dev_run):
    rg = dev_run.one(T["rg"])
    assert rg.inputs["location"] == "eastus"
    rg_name = rg.state["name"]
    for r in dev_run.resources:
        if r.custom and "resourceGroupName" in r.inputs:
            assert r.inputs["resourceGroupName"] == rg_name, r.name


def test_vnet_spans_the_spec_cidr_and_subnets_sit_inside_it_with_their_own_nsg(dev_run):
    vnet = dev_run.one(T["vnet"])
    assert vnet.inputs["addressSpace"]["addressPrefixes"] == ["10.40.0.0/16"]
    nodes = by_suffix(dev_run, T["subnet"], "-nodes")
    endpoints = by_suffix(dev_run, T["subnet"], "-endpoints")
    net = ipaddress.ip_network("10.40.0.0/16")
    ranges = [ipaddress.ip_network(s.inputs["addressPrefix"]) for s in (nodes, endpoints)]
    assert all(r.subnet_of(net) for r in ranges)
    assert not ranges[0].overlaps(ranges[1])
    nsg_ids = {n.id for n in dev_run.of_type(T["nsg"])}
    assert len(nsg_ids) == 2
    assert {
        nodes.inputs["networkSecurityGroup"]["id"],
        endpoints.inputs["networkSecurityGroup"]["id"],
    } == nsg_ids
    for subnet in (nodes, endpoints):
        assert subnet.inputs["virtualNetworkName"] == vnet.state["name"]
        assert subnet.inputs["defaultOutboundAccess"] is False
    assert endpoints.inputs["privateEndpointNetworkPolicies"] == "Enabled"
    assert all(not nsg.inputs.get("securityRules") for nsg in dev_run.of_type(T["nsg"]))


def test_key_vault_uses_rbac_soft_delete_purge_protection_and_the_callers_tenant(dev_run):
    props = dev_run.one(T["vault"]).inputs["properties"]
    assert props["enableRbacAuthorization"] is True
    assert props["enableSoftDelete"] is True
    assert props["enablePurgeProtection"] is True
    assert props["softDeleteRetentionInDays"] == 7
    assert props["tenantId"] == azure_mocks.TENANT
    assert "accessPolicies" not in props
    acls = props["networkAcls"]
    assert acls["defaultAction"] == "Deny" and acls["bypass"] == "AzureServices"
    nodes = by_suffix(dev_run, T["subnet"], "-nodes")
    assert acls["virtualNetworkRules"] == [{"id": nodes.id}]


def test_key_vault_retention_follows_the_spec_within_azures_7_to_90_days():
    config = azure_config()
    config["storage"]["soft_delete_days"] = 365
    run = run_azure(config)
    assert run.one(T["vault"]).inputs["properties"]["softDeleteRetentionInDays"] == 90


def test_storage_account_is_private_https_tls12_double_encrypted_and_keyless(dev_run):
    account = dev_run.one(T["account"]).inputs
    assert account["kind"] == "StorageV2"
    assert account["allowBlobPublicAccess"] is False
    assert account["enableHttpsTrafficOnly"] is True
    assert account["minimumTlsVersion"] == "TLS1_2"
    assert account["allowSharedKeyAccess"] is False
    assert account["encryption"]["requireInfrastructureEncryption"] is True
    name = account["accountName"]
    assert 3 <= len(name) <= 24 and name.isalnum() and name == name.lower()


def test_blob_versioning_soft_delete_and_checkpoint_expiry_follow_the_spec(dev_run):
    account = dev_run.one(T["account"])
    service = dev_run.one(T["blob_service"]).inputs
    assert service["accountName"] == account.state["name"]
    assert service["blobServicesName"] == "default"
    assert service["isVersioningEnabled"] is True
    assert service["deleteRetentionPolicy"] == {"enabled": True, "days": 7}
    assert service["containerDeleteRetentionPolicy"] == {"enabled": True, "days": 7}
    rule = dev_run.one(T["lifecycle"]).inputs["policy"]["rules"][0]
    assert rule["definition"]["actions"]["version"]["delete"] == {
        "daysAfterCreationGreaterThan": 30
    }


def test_soft_delete_zero_turns_retention_off_and_versioning_follows_the_spec():
    config = azure_config()
    config["storage"].update(soft_delete_days=0, versioning=False, checkpoint_retention_days=3)
    run = run_azure(config)
    service = run.one(T["blob_service"]).inputs
    assert service["isVersioningEnabled"] is False
    assert service["deleteRetentionPolicy"] == {"enabled": False}
    rule = run.one(T["lifecycle"]).inputs["policy"]["rules"][0]
    assert rule["definition"]["actions"]["version"]["delete"]["daysAfterCreationGreaterThan"] == 3


def test_data_container_is_private_and_lives_in_the_platform_account(dev_run):
    container = dev_run.one(T["container"])
    account = dev_run.one(T["account"])
    assert container.inputs["publicAccess"] == "None"
    assert container.inputs["accountName"] == account.state["name"]
    assert container.id.startswith(account.id + "/blobServices/default/containers/")


def test_app_insights_is_workspace_based_on_the_platforms_log_analytics(dev_run):
    logs = dev_run.one(T["logs"])
    insights = dev_run.one(T["appinsights"]).inputs
    assert insights["workspaceResourceId"] == logs.id
    assert insights["ingestionMode"] == "LogAnalytics"
    assert insights["disableLocalAuth"] is True


def test_registry_has_no_admin_user_and_no_anonymous_pull(dev_run):
    acr = dev_run.one(T["acr"]).inputs
    assert acr["adminUserEnabled"] is False
    assert acr["anonymousPullEnabled"] is False
    assert acr["sku"]["name"] in ("Standard", "Premium")
    assert acr["registryName"].isalnum() and 5 <= len(acr["registryName"]) <= 50


def test_globally_unique_names_differ_between_stacks_and_repeat_within_one():
    config = azure_config()
    a, b, again = run_azure(config, "one"), run_azure(config, "two"), run_azure(config, "one")
    for t, key in (
        (T["account"], "accountName"),
        (T["vault"], "vaultName"),
        (T["acr"], "registryName"),
    ):
        assert a.one(t).inputs[key] != b.one(t).inputs[key]
        assert a.one(t).inputs[key] == again.one(t).inputs[key]


def test_storage_encrypts_with_a_rotating_key_vault_key_via_an_identity_scoped_to_that_key(dev_run):
    key = dev_run.one("azure-native:keyvault:Key")
    vault = dev_run.one(T["vault"])
    assert key.inputs["vaultName"] == vault.state["name"]
    assert key.inputs["properties"]["kty"] == "RSA" and key.inputs["properties"]["keySize"] >= 3072
    actions = {
        a["action"]["type"] for a in key.inputs["properties"]["rotationPolicy"]["lifetimeActions"]
    }
    assert actions == {"rotate", "notify"}
    account = dev_run.one(T["account"])
    encryption_id = by_suffix(dev_run, T["uami"], "-cmk-id")
    enc = account.inputs["encryption"]
    assert enc["keySource"] == "Microsoft.Keyvault"
    assert enc["keyVaultProperties"] == {
        "keyName": key.state["name"],
        "keyVaultUri": vault.state["properties"]["vaultUri"],
    }
    assert "keyVersion" not in enc["keyVaultProperties"]  # follows rotation
    assert enc["encryptionIdentity"] == {"encryptionUserAssignedIdentity": encryption_id.id}
    assert account.inputs["identity"] == {
        "type": "UserAssigned",
        "userAssignedIdentities": [encryption_id.id],
    }
    grant = by_suffix(dev_run, T["role"], "-cmk-key-user")
    assert grant.inputs["scope"] == key.id
    assert grant.inputs["principalId"] == encryption_id.state["principalId"]
    assert grant.inputs["roleDefinitionId"].endswith("/e147488a-f6f5-4113-8e2d-b22465e65bf6")
    assert grant.urn in account.dependencies  # the key is usable before the account needs it
    # ... and its grant has had time to propagate (#16.12)
    (wait,) = dev_run.of_type("time:index/sleep:Sleep")
    assert wait.urn in account.dependencies and grant.urn in wait.dependencies
    assert wait.inputs["createDuration"] == "60s"


def test_without_customer_managed_keys_storage_uses_microsoft_managed_keys():
    config = azure_config()
    config["storage"]["customer_managed_key"] = False
    run = run_azure(config)
    assert run.of_type("azure-native:keyvault:Key") == []
    account = run.one(T["account"]).inputs
    assert account["encryption"]["keySource"] == "Microsoft.Storage"
    assert account["encryption"]["requireInfrastructureEncryption"] is True
    assert "identity" not in account
    assert not [r for r in run.of_type(T["role"]) if r.name.endswith("-cmk-key-user")]
