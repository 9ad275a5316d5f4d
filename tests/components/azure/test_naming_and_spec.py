"""Azure names fit each service's rules; Azure-only limits are refused at the spec edge."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.azure import naming
from components.azure.roles import role_definition_id
from components.spec import PlatformSpec, SpecError
from tests.components.azure.conftest import azure_config, gpu_pool, run_azure

spec_names = st.from_regex(r"[a-z][a-z0-9-]{1,18}[a-z0-9]", fullmatch=True)
pool_names = st.from_regex(r"[a-z][a-z0-9-]{1,30}[a-z0-9]", fullmatch=True)
suffixes = st.from_regex(r"[0-9a-f]{6}", fullmatch=True)


@given(spec_names, suffixes)
def test_global_names_fit_storage_key_vault_and_registry_rules(name, suffix):
    assert re.fullmatch(r"[a-z0-9]{3,24}", naming.storage_account_name(name, suffix))
    kv = naming.key_vault_name(name, suffix)
    assert re.fullmatch(r"[a-zA-Z][a-zA-Z0-9-]{1,22}[a-zA-Z0-9]", kv) and "--" not in kv
    assert re.fullmatch(r"[a-zA-Z0-9]{5,50}", naming.registry_name(name, suffix))


@given(st.lists(pool_names, min_size=1, max_size=12, unique=True))
def test_agent_pool_names_are_short_distinct_and_start_with_a_letter(pools):
    names = naming.agent_pool_names(pools)
    assert set(names) == set(pools)
    assert len(set(names.values())) == len(pools)
    assert all(re.fullmatch(r"[a-z][a-z0-9]{0,11}", n) for n in names.values())


@given(st.lists(pool_names, min_size=2, max_size=8, unique=True))
def test_compute_names_fit_16_characters_and_stay_distinct(pools):
    names = [naming.compute_name(p) for p in pools]
    assert all(re.fullmatch(r"[a-z][a-z0-9-]{1,15}", n) for n in names)
    assert len(set(names)) == len(names)


def test_unknown_role_is_refused_with_the_allowed_ones():
    with pytest.raises(
        ValueError, match="role: 'Owner' is not one of Storage Blob Data Contributor, AcrPull, "
    ):
        role_definition_id("sub", "Owner")


def test_pool_with_max_zero_is_refused_on_azure_naming_the_field():
    config = azure_config()
    config["node_pools"].append(gpu_pool("idle", max_nodes=0))
    with pytest.raises(SpecError) as e:
        PlatformSpec.parse(config)
    assert any(
        err.startswith("node_pools[2].max_nodes: must be at least 1 on azure")
        for err in e.value.errors
    )


def test_key_vault_generation_gives_a_new_vault_name_and_nothing_else():
    """#16.12: a purge-protected deleted vault keeps its name for the retention period."""
    config = azure_config()
    first = run_azure(config)
    config["storage"]["key_vault_generation"] = 1
    second = run_azure(config)
    names = [r.one("azure-native:keyvault:Vault").inputs["vaultName"] for r in (first, second)]
    assert names[0] != names[1] and all(3 <= len(n) <= 24 for n in names)
    account = "azure-native:storage:StorageAccount"
    assert first.one(account).inputs["accountName"] == second.one(account).inputs["accountName"]
