"""Every taggable resource carries the spec's tags; every resource sits in a pioneer component."""

from __future__ import annotations

import importlib
import inspect

import pytest

from tests.components.azure.conftest import T, azure_config, run_azure

SPEC_TAGS = {"team": "ml-platform", "env": "dev", "cost-center": "research"}


def accepts_tags(type_token: str) -> bool:
    """Whether the azure-native SDK class for a type token takes a ``tags`` argument."""
    _, module, kind = type_token.split(":")
    cls = getattr(importlib.import_module(f"pulumi_azure_native.{module}"), kind)
    return "tags" in inspect.signature(cls._internal_init).parameters


def test_every_taggable_resource_carries_spec_stack_and_component_tags(dev_run):
    azure = [r for r in dev_run.resources if r.type.startswith("azure-native:")]
    taggable = [r for r in azure if accepts_tags(r.type)]
    # The check is meaningful: most types take tags, a few (children, grants) do not.
    assert len(taggable) >= 12 and len(taggable) < len(azure)
    for r in taggable:
        tags = r.inputs.get("tags")
        assert tags is not None, f"{r.type} {r.name} has no tags"
        assert {k: tags.get(k) for k in SPEC_TAGS} == SPEC_TAGS, r.name
        assert tags["pioneer:stack"] == "azure-dev", r.name
        parent_kind = r.parent.split("::")[-2].split("$")[-1].split(":")[-1]
        assert tags["pioneer:component"] == parent_kind, r.name
    for r in azure:
        if not accepts_tags(r.type):
            assert "tags" not in r.inputs, r.name


def test_component_tag_names_the_part_of_the_platform(dev_run):
    assert dev_run.one(T["account"]).inputs["tags"]["pioneer:component"] == "Storage"
    assert dev_run.one(T["aks"]).inputs["tags"]["pioneer:component"] == "Cluster"
    # Platform-wide resources sit directly under `MlPlatform`, as on AWS and GCP.
    assert dev_run.one(T["rg"]).inputs["tags"]["pioneer:component"] == "MlPlatform"


def test_changed_spec_tags_reach_every_resource():
    config = azure_config()
    config["tags"] = {"owner": "alice"}
    run = run_azure(config, stack="prod")
    for r in run.resources:
        if r.type.startswith("azure-native:") and accepts_tags(r.type):
            assert r.inputs["tags"] == {
                "owner": "alice",
                "pioneer:stack": "prod",
                "pioneer:component": r.inputs["tags"]["pioneer:component"],
            }


def test_components_use_the_pioneer_azure_type_tokens_and_own_their_resources(dev_run):
    components = {r.urn: r for r in dev_run.resources if not r.custom}
    kinds = {r.type for r in components.values()}
    assert {
        "pioneer:azure:Network",
        "pioneer:azure:KeyVault",
        "pioneer:azure:Storage",
        "pioneer:azure:Observability",
        "pioneer:azure:Registry",
        "pioneer:azure:Cluster",
        "pioneer:azure:ComputeIdentity",
        "pioneer:azure:MachineLearning",
    } <= kinds
    # The same depth as the other clouds: MlPlatform > part > resource, no Platform level.
    assert "pioneer:azure:Platform" not in kinds
    (platform,) = [r for r in components.values() if r.type == "pioneer:index:MlPlatform"]
    for r in components.values():
        if r.type.startswith(("pioneer:azure:", "pioneer:k8s:")) and r.parent != platform.urn:
            assert components[r.parent].type.startswith(("pioneer:azure:", "pioneer:k8s:")), r.name
    for r in dev_run.resources:
        if r.custom:
            assert r.parent in components, r.name
            # Azure parts or the shared training add-ons (`components.k8s`); directly under the
            # platform only what every part shares: the provider and the resource group.
            if r.parent == platform.urn:
                assert r.type in ("pulumi:providers:azure-native", T["rg"]), r.name
            else:
                assert components[r.parent].type.startswith(("pioneer:azure:", "pioneer:k8s:"))
        assert r.name.startswith("mlp-azure"), r.name


def test_every_azure_resource_uses_the_platforms_explicit_provider(dev_run):
    provider = dev_run.one("pulumi:providers:azure-native")
    assert provider.inputs["location"] == "eastus"
    for r in dev_run.resources:
        if r.type.startswith("azure-native:"):
            assert r.provider.startswith(provider.urn + "::"), r.name


@pytest.mark.parametrize("key", ["a/b", "what?", "microsoft-owner", "50%"])
def test_tag_names_azure_rejects_are_refused_at_the_spec_edge(key):
    from components.spec import PlatformSpec, SpecError

    config = azure_config()
    config["tags"] = {key: "x"}
    with pytest.raises(SpecError) as e:
        PlatformSpec.parse(config)
    assert any(err.startswith(f"tags.{key}:") for err in e.value.errors)
