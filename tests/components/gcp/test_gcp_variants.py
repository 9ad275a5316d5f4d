"""Variants of the gcp-dev config: on-demand and parked pools, toggles, label sanitising."""

from __future__ import annotations

import logging

import pytest

from components.spec import SpecError
from tests.components.gcp.conftest import gcp_resources, pool


def _pools(cfg):
    cfg["node_pools"] = [
        {"name": "system", "instance_type": "e2-standard-8", "min_nodes": 1, "max_nodes": 2},
        {
            "name": "h100-od",
            "accelerator": "H100",
            "accelerators_per_node": 8,
            "capacity": "on_demand",
            "on_demand_opt_in": True,
            "min_nodes": 1,
            "max_nodes": 2,
            "desired_nodes": 2,
        },
        {
            "name": "l4-parked",
            "accelerator": "L4",
            "accelerators_per_node": 1,
            "capacity": "spot",
            "min_nodes": 0,
            "max_nodes": 0,
        },
        {
            "name": "tpu-v5e",
            "accelerator": "TPU-v5e",
            "accelerators_per_node": 4,
            "tpu_topology": "2x2",
            "capacity": "on_demand",
            "min_nodes": 0,
            "max_nodes": 1,
        },
    ]


@pytest.fixture(scope="module")
def mixed(dev_config):
    import copy

    from tests.components.gcp.conftest import run_config

    cfg = copy.deepcopy(dev_config)
    _pools(cfg)
    return run_config(cfg)


def test_on_demand_gpu_pool(mixed):
    p = pool(mixed, "h100-od")
    nc = p.inputs["nodeConfig"]
    assert nc["machineType"] == "a3-highgpu-8g"
    assert nc["guestAccelerators"][0]["type"] == "nvidia-h100-80gb"
    assert nc["guestAccelerators"][0]["count"] == 8
    assert nc["spot"] is False
    assert p.inputs["autoscaling"]["locationPolicy"] == "BALANCED"
    assert p.inputs["autoscaling"]["totalMinNodeCount"] == 1
    # desired 2 over a regional pool's three zones: one node per zone to start.
    assert p.inputs["initialNodeCount"] == 1


def test_pool_scaled_to_zero_is_a_fixed_empty_pool_without_autoscaling(mixed):
    p = pool(mixed, "l4-parked")
    assert p.inputs["nodeCount"] == 0
    assert "autoscaling" not in p.inputs
    assert p.inputs["nodeConfig"]["guestAccelerators"][0]["type"] == "nvidia-l4"
    assert p.inputs["nodeConfig"]["spot"] is True
    parked = {o["pool"]: o for o in mixed.outputs["node_pools"]}["l4-parked"]
    assert parked["capacity"] == "spot" and parked["machine_type"] == "g2-standard-4"


def test_gpu_and_tpu_pools_together_and_on_demand_tpu(mixed):
    tpu = pool(mixed, "tpu-v5e")
    assert tpu.inputs["placementPolicy"]["tpuTopology"] == "2x2"
    assert tpu.inputs["nodeConfig"]["spot"] is False
    assert pool(mixed, "system").inputs["nodeConfig"]["machineType"] == "e2-standard-8"
    assert len(mixed.of_type("gcp:container/nodePool:NodePool")) == 4


def test_tensorboard_off_drops_the_instance_and_its_output(variant):
    run = variant(lambda c: c["mlops"].update(tensorboard=False))
    assert run.of_type("gcp:vertex/aiTensorboard:AiTensorboard") == []
    assert run.outputs["tensorboard_id"] is None
    assert len(run.of_type("gcp:vertex/aiMetadataStore:AiMetadataStore")) == 1


def test_mlops_off_drops_vertex_and_its_api_role_and_agent(variant):
    run = variant(lambda c: c["mlops"].update(enabled=False))
    assert not [r for r in run.resources if r.type.startswith("gcp:vertex/")]
    services = {s.inputs["service"] for s in run.of_type("gcp:projects/service:Service")}
    assert "aiplatform.googleapis.com" not in services
    roles = {r.inputs.get("role") for r in gcp_resources(run)}
    assert "roles/aiplatform.user" not in roles
    assert not [
        g
        for g in run.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
        if "aiplatform" in g.inputs["member"]
    ]
    # The image registry and the bucket-scoped training account stay.
    assert len(run.of_type("gcp:artifactregistry/repository:Repository")) == 1
    assert run.outputs["metadata_store_id"] is None


def test_storage_toggles_reach_the_bucket(variant):
    def change(c):
        c["storage"].update(
            customer_managed_key=False,
            public_access=True,
            versioning=False,
            soft_delete_days=0,
            checkpoint_retention_days=3,
        )

    b = variant(change).by_name("mlp-gcp-storage-data").inputs
    assert "encryption" not in b
    assert b["publicAccessPrevention"] == "inherited"
    assert b["uniformBucketLevelAccess"] is True
    assert b["versioning"] == {"enabled": False}
    assert b["softDeletePolicy"]["retentionDurationSeconds"] == 0
    assert b["lifecycleRules"][0]["condition"]["daysSinceNoncurrentTime"] == 3


def test_soft_delete_outside_gcs_limits_is_rejected_naming_the_field(variant):
    with pytest.raises(SpecError, match=r"storage\.soft_delete_days: 3 .* 0 \(off\) or 7-90"):
        variant(lambda c: c["storage"].update(soft_delete_days=3))


def test_public_endpoint_uses_only_the_authorized_networks(variant):
    def change(c):
        c["cluster"].update(
            private_endpoint=False,
            authorized_cidrs=["203.0.113.0/24"],
            deletion_protection=False,
            release_channel="STABLE",
        )

    c = variant(change).one("gcp:container/cluster:Cluster").inputs
    assert c["privateClusterConfig"]["enablePrivateEndpoint"] is False
    assert c["privateClusterConfig"]["enablePrivateNodes"] is True
    cidrs = [b["cidrBlock"] for b in c["masterAuthorizedNetworksConfig"]["cidrBlocks"]]
    assert cidrs == ["203.0.113.0/24", "10.30.0.0/18"]
    assert c["deletionProtection"] is False
    assert c["releaseChannel"] == {"channel": "STABLE"}


def test_tags_are_sanitised_into_gcp_labels_with_a_warning(variant, caplog):
    def change(c):
        c["tags"] = {
            "CostCenter": "R&D Team",
            "pioneer:owner": "Alice.B",
            "2fa": "on",
            "Long": "x" * 80,
        }

    with caplog.at_level(logging.WARNING):
        run = variant(change, stack="Prod-EU")
    labels = run.by_name("mlp-gcp-storage-data").inputs["labels"]
    assert labels == {
        "costcenter": "r-d-team",
        "pioneer-owner": "alice-b",
        "tag-2fa": "on",
        "long": "x" * 63,
        "pioneer-stack": "prod-eu",
        "pioneer-component": "storage",
    }
    warning = " ".join(r.getMessage() for r in caplog.records if r.levelno == logging.WARNING)
    assert "CostCenter='R&D Team' -> costcenter='r-d-team'" in warning
    assert "pioneer-stack='Prod-EU' -> pioneer-stack='prod-eu'" in warning


def test_tags_that_collide_after_sanitising_are_rejected(variant):
    with pytest.raises(SpecError, match=r"tags\.(Team|team).*same as tags\.(Team|team)"):
        variant(lambda c: c["tags"].update(Team="a", team="b"))


def test_network_too_small_for_the_pools_is_rejected_naming_the_cidr(variant):
    def change(c):
        c["network"]["cidr"] = "10.30.0.0/20"
        c["node_pools"][1]["max_nodes"] = 40

    with pytest.raises(SpecError, match=r"network\.cidr: 10\.30\.0\.0/20 .* 16 nodes .* allow 45"):
        variant(change)


def test_pool_zones_become_gke_node_locations(run_spec, base_config):
    cfg = base_config("gcp")  # the shipped TPU pool is pinned to us-central1-a
    run = run_spec(cfg)
    pools = {r.name: r.inputs for r in run.of_type("gcp:container/nodePool:NodePool")}
    tpu = next(v for k, v in pools.items() if k.endswith("train-tpu"))
    gpu = next(v for k, v in pools.items() if k.endswith("train-a100"))
    assert tpu["nodeLocations"] == ["us-central1-a"]
    # no zones given: the zones of the region that offer a2-highgpu-8g (cost/data/gcp_zones.csv)
    assert gpu["nodeLocations"] == [
        "us-central1-a",
        "us-central1-b",
        "us-central1-c",
        "us-central1-f",
    ]
