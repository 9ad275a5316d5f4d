"""The spec edge: valid configs parse; every invalid value names its field and what is allowed."""

from __future__ import annotations

import pytest

from components.spec import PlatformSpec, SpecError


def errors_of(config: dict) -> list[str]:
    with pytest.raises(SpecError) as info:
        PlatformSpec.parse(config)
    return info.value.errors


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_shipped_configs_are_valid(base_config, cloud):
    spec = PlatformSpec.parse(base_config(cloud))
    assert spec.cloud == cloud
    assert spec.gpu_pools and all(p.spot for p in spec.gpu_pools)
    assert spec.cpu_pools[0].name == "system"


def test_defaults_are_secure(base_config):
    cfg = base_config("aws")
    for key in ("storage", "mlops", "cluster", "network"):
        cfg.pop(key, None)
    spec = PlatformSpec.parse(cfg)
    assert spec.storage.public_access is False
    assert spec.storage.versioning is True
    assert spec.storage.customer_managed_key is True
    assert spec.cluster.private_endpoint is True
    assert spec.mlops.public_network_access is False


def test_unknown_accelerator_names_field_and_allowed_values(base_config):
    cfg = base_config("aws")
    cfg["node_pools"][1]["accelerator"] = "H1000"
    (err,) = errors_of(cfg)
    assert err.startswith("node_pools[1].accelerator: 'H1000' is not one of ")
    assert "H100" in err and "A100" in err


def test_tpu_pool_rejected_outside_gcp(base_config):
    cfg = base_config("aws")
    cfg["node_pools"].append(
        {
            "name": "tpu",
            "accelerator": "TPU-v5e",
            "accelerators_per_node": 4,
            "tpu_topology": "2x2",
            "max_nodes": 1,
        }
    )
    assert errors_of(cfg) == [
        "node_pools[2].accelerator: TPU pools exist only on gcp (cloud is 'aws')"
    ]


def test_min_greater_than_max(base_config):
    cfg = base_config("azure")
    cfg["node_pools"][1].update(min_nodes=5, max_nodes=2)
    assert errors_of(cfg) == ["node_pools[1]: min_nodes 5 > max_nodes 2"]


def test_several_errors_are_reported_together(base_config):
    cfg = base_config("aws")
    cfg["cloud"] = "oracle"
    cfg["node_pools"][0]["max_nodes"] = -1
    cfg["storage"]["versionning"] = True
    errs = errors_of(cfg)
    assert any(e.startswith("cloud: 'oracle' is not one of 'aws', 'gcp', 'azure'") for e in errs)
    assert any(e.startswith("node_pools[0].max_nodes:") for e in errs)
    assert any(
        e.startswith("storage.versionning: unknown field; allowed: versioning,") for e in errs
    )
    assert len(errs) == 3


def test_semantic_errors_are_reported_together(base_config):
    cfg = base_config("gcp")
    cfg["node_pools"][1].update(min_nodes=3, max_nodes=1)
    cfg["node_pools"][2]["tpu_topology"] = None
    cfg.pop("project")
    errs = errors_of(cfg)
    assert "project: required on gcp (the GCP project id)" in errs
    assert "node_pools[1]: min_nodes 3 > max_nodes 1" in errs
    assert any(e.startswith("node_pools[2].tpu_topology: required") for e in errs)


def test_accelerator_not_offered_in_region_names_regions_that_offer_it(base_config):
    cfg = base_config("gcp")
    cfg["region"] = "europe-north1"
    errs = errors_of(cfg)
    tpu = next(e for e in errs if e.startswith("node_pools[2].accelerator:"))
    assert tpu.startswith(
        "node_pools[2].accelerator: the catalog has no price for 4xTPU-v5e on gcp in "
        "europe-north1 (a gap in the catalog, not necessarily in the cloud); "
        "the catalog's regions for it: "
    )
    assert "us-central1" in tpu and "europe-west4" in tpu


def test_accelerator_count_must_exist_on_the_cloud(base_config):
    cfg = base_config("aws")
    cfg["node_pools"][1]["accelerators_per_node"] = 3
    (err,) = errors_of(cfg)
    assert err.startswith("node_pools[1].accelerators_per_node: 3 is not one of 1, 8")


def test_duplicate_pool_names(base_config):
    cfg = base_config("aws")
    cfg["node_pools"][1]["name"] = "system"
    assert (
        "node_pools[1].name: 'system' is used by another pool; pool names must be unique"
        in errors_of(cfg)
    )


def test_public_endpoint_needs_authorized_cidrs(base_config):
    cfg = base_config("aws")
    cfg["cluster"]["private_endpoint"] = False
    del cfg["cluster"]["authorized_cidrs"]
    assert errors_of(cfg) == [
        "cluster.authorized_cidrs: required when private_endpoint is false "
        "(a public endpoint open to 0.0.0.0/0 is not allowed)"
    ]
    cfg["cluster"]["authorized_cidrs"] = ["198.51.100.0/24"]
    assert PlatformSpec.parse(cfg).cluster.authorized_cidrs == ["198.51.100.0/24"]
    cfg["cluster"]["authorized_cidrs"] = ["0.0.0.0/0"]
    assert errors_of(cfg) == [
        "cluster.authorized_cidrs[0]: '0.0.0.0/0' opens the endpoint to the "
        "whole internet; list the networks that need it"
    ]


def test_missing_required_fields_and_non_mapping():
    errs = errors_of({})
    assert {
        "name: required field is missing",
        "cloud: required field is missing",
        "region: required field is missing",
        "node_pools: required field is missing",
    } <= set(errs)
    assert errors_of([1, 2]) == ["config: expected a mapping, got list"]  # type: ignore[arg-type]


def test_bad_cidr(base_config):
    cfg = base_config("azure")
    cfg["network"]["cidr"] = "10.0.0.0/33"
    (err,) = errors_of(cfg)
    assert err.startswith("network.cidr: '10.0.0.0/33' is not an IPv4 network")


def test_pool_zones_are_gcp_zones_of_the_region(base_config):
    cfg = base_config("gcp")
    cfg["node_pools"][2]["zones"] = ["us-central1-a", "europe-west4-b"]
    assert errors_of(cfg) == [
        "node_pools[2].zones[1]: 'europe-west4-b' is not a zone of us-central1 "
        "(for example us-central1-a)"
    ]
    aws = base_config("aws")
    aws["node_pools"][1]["zones"] = ["us-east-1a"]
    assert errors_of(aws) == ["node_pools[1].zones: only used on gcp (cloud is 'aws')"]


@pytest.mark.parametrize("cloud", ["aws", "azure"])
def test_tag_count_over_the_cloud_limit_is_refused(base_config, cloud):
    """51 tags planned clean on AWS (limit 50, and pioneer adds two of its own)."""
    config = base_config(cloud)
    config["tags"] = {f"t{i}": "v" for i in range(49)}
    with pytest.raises(SpecError, match=r"tags: 49 tags; .* so at most 48"):
        PlatformSpec.parse(config)
    config["tags"] = {f"t{i}": "v" for i in range(48)}
    assert len(PlatformSpec.parse(config).tags) == 48


def test_aws_tag_alphabet_and_reserved_prefix(base_config):
    config = base_config("aws")
    config["tags"] = {"aws:owner": "me", "team": "ml#1"}
    with pytest.raises(SpecError) as e:
        PlatformSpec.parse(config)
    assert "tags.aws:owner: the aws: prefix is reserved" in str(e.value)
    assert "tags.team: AWS tag values allow only" in str(e.value)


@pytest.mark.parametrize(
    "cloud, itype, accel",
    [
        ("aws", "p4d.24xlarge", "A100"),
        ("gcp", "a2-highgpu-8g", "A100"),
        ("azure", "Standard_ND96asr_v4", "A100"),
    ],
)
def test_pool_given_by_gpu_instance_type_is_a_gpu_pool(base_config, cloud, itype, accel):
    """It used to become a CPU pool: no GPU image, no taint, no on-demand opt-in check."""
    config = base_config(cloud)
    config["region"] = {"aws": "us-east-1", "gcp": "us-central1", "azure": "eastus"}[cloud]
    config["node_pools"].append(
        {"name": "by-type", "instance_type": itype, "capacity": "spot", "max_nodes": 2}
    )
    pool = PlatformSpec.parse(config).node_pools[-1]
    assert (pool.accelerator, pool.accelerators_per_node, pool.is_gpu) == (accel, 8, True)
