"""The pure parts of the GCP package: labels, IAM allow-list, ranges, pool plans, spec rules."""

from __future__ import annotations

import copy
import ipaddress
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from components.gcp.network import plan_ranges
from components.gcp.node_pools import GKE_ACCELERATOR_TYPES, machine_type, plan_pool, tpu_hosts
from components.gcp.roles import ALLOWED_ROLES, check_grant
from components.gcp.tags import sanitise_key, sanitise_labels, sanitise_value
from components.spec import NodePool, PlatformSpec, SpecError
from cost.catalog import get_catalog

GCP_KEY = re.compile(r"[a-z][a-z0-9_-]{0,62}")
GCP_VALUE = re.compile(r"[a-z0-9_-]{0,63}")


# --- labels ---------------------------------------------------------------------------------


@given(st.text(min_size=1, max_size=120), st.text(max_size=120))
def test_any_tag_becomes_a_valid_gcp_label(key, value):
    assert GCP_KEY.fullmatch(sanitise_key(key))
    assert GCP_VALUE.fullmatch(sanitise_value(value))


def test_valid_labels_pass_unchanged_and_changes_are_listed():
    labels, changes = sanitise_labels({"team": "ml_platform-1", "Env": "Dev"})
    assert labels == {"team": "ml_platform-1", "env": "dev"}
    assert changes == ["Env='Dev' -> env='dev'"]


# --- IAM ------------------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["roles/owner", "roles/editor", "roles/viewer"])
def test_primitive_roles_are_refused(role):
    with pytest.raises(ValueError, match="primitive"):
        check_grant(role, "project")


def test_unknown_roles_and_broader_scopes_are_refused():
    with pytest.raises(ValueError, match="not one of the allowed roles"):
        check_grant("roles/storage.admin", "project")
    with pytest.raises(ValueError, match="only be granted on a bucket, not on a project"):
        check_grant("roles/storage.objectAdmin", "project")
    assert check_grant("roles/storage.objectAdmin", "bucket") == "roles/storage.objectAdmin"
    assert not any(r.endswith((".admin", "/owner", "/editor")) for r in ALLOWED_ROLES)


# --- network ranges -------------------------------------------------------------------------


@pytest.mark.parametrize("cidr", ["10.0.0.0/8", "10.30.0.0/16", "172.16.0.0/12", "192.168.0.0/20"])
def test_ranges_fit_in_the_cidr_without_overlap_and_master_outside(cidr):
    r = plan_ranges(cidr)
    net = ipaddress.ip_network(cidr)
    parts = [ipaddress.ip_network(x) for x in (r.nodes, r.services, r.pods)]
    assert all(p.subnet_of(net) for p in parts)
    assert not any(a.overlaps(b) for i, a in enumerate(parts) for b in parts[i + 1 :])
    master = ipaddress.ip_network(r.master)
    assert master.prefixlen == 28 and not master.overlaps(net)


def test_pod_range_capacity_at_64_pods_per_node():
    assert plan_ranges("10.30.0.0/16").max_nodes == 256  # /17 of /25s
    assert plan_ranges("10.30.0.0/20").max_nodes == 16


# --- node pools -----------------------------------------------------------------------------


def _pool(**kw) -> NodePool:
    return NodePool(**{"name": "pool-a", **kw})


def _spec(*pools: NodePool, region="us-central1") -> PlatformSpec:
    return PlatformSpec(
        name="test-gcp", cloud="gcp", region=region, project="p", node_pools=list(pools)
    )


def test_gpu_machine_type_is_the_catalogs_cheapest_unless_overridden():
    cat = get_catalog()
    offers = cat.offers_for("gcp", "us-central1", "L4", 1)
    cheapest = min(offers, key=lambda o: o.on_demand_usd_per_hour)
    assert len(offers) > 1
    assert (
        machine_type(_pool(accelerator="L4", accelerators_per_node=1), "us-central1")
        == cheapest.instance_type
    )
    chosen = machine_type(
        _pool(accelerator="L4", accelerators_per_node=1, instance_type="g2-standard-16"),
        "us-central1",
    )
    assert chosen == "g2-standard-16"


def test_every_gcp_gpu_in_the_catalog_has_a_gke_accelerator_type():
    gpus = {
        o.accelerator
        for o in get_catalog().offers_for("gcp")
        if not o.accelerator.startswith("TPU")
    }
    assert gpus and gpus <= set(GKE_ACCELERATOR_TYPES)


def test_single_and_multi_host_tpu_slices():
    assert (
        tpu_hosts(
            _pool(accelerator="TPU-v5e", accelerators_per_node=4, tpu_topology="2x2", max_nodes=3),
            "x",
        )
        == 1
    )
    assert (
        tpu_hosts(
            _pool(accelerator="TPU-v5e", accelerators_per_node=4, tpu_topology="4x4", max_nodes=4),
            "x",
        )
        == 4
    )
    with pytest.raises(
        SpecError, match=r"node_pools\[2\]\.max_nodes: .* 4 nodes; max_nodes must be 0 or 4"
    ):
        tpu_hosts(
            _pool(accelerator="TPU-v5e", accelerators_per_node=4, tpu_topology="4x4", max_nodes=2),
            "node_pools[2]",
        )
    with pytest.raises(SpecError, match="not a multiple of accelerators_per_node 8"):
        tpu_hosts(_pool(accelerator="TPU-v5e", accelerators_per_node=8, tpu_topology="2x2"), "x")


def test_initial_nodes_are_spread_over_three_zones():
    spec = _spec(_pool(min_nodes=0, max_nodes=9, desired_nodes=7))
    plan = plan_pool(spec.node_pools[0], 0, spec)
    assert plan.autoscaling == (0, 9) and plan.initial_node_count == 3


# --- the spec edge, with the catalog --------------------------------------------------------


def test_accelerator_not_offered_in_the_region_names_the_regions_that_offer_it(base_config):
    cfg = base_config("gcp")
    cfg["node_pools"][2].update(
        accelerator="TPU-v5p", accelerators_per_node=4, tpu_topology="2x2x1"
    )
    offering = get_catalog().regions_offering("gcp", "TPU-v5p", 4)
    assert "us-central1" not in offering and offering
    with pytest.raises(SpecError) as e:
        PlatformSpec.parse(cfg)
    (msg,) = [m for m in e.value.errors if m.startswith("node_pools[2].accelerator")]
    assert msg.endswith("the catalog's regions for it: " + ", ".join(offering))


def test_gpu_missing_from_a_region_is_rejected_with_the_catalogs_regions(base_config):
    cfg = base_config("gcp")
    cfg["region"] = "us-central2"  # TPU v4 only in the snapshot
    cfg["node_pools"].pop(2)
    with pytest.raises(SpecError) as e:
        PlatformSpec.parse(cfg)
    regions = get_catalog().regions_offering("gcp", "A100", 8)
    assert f"the catalog's regions for it: {', '.join(regions)}" in str(e.value)


def test_gcp_rules_are_reported_together(base_config):
    cfg = copy.deepcopy(base_config("gcp"))
    cfg["storage"]["soft_delete_days"] = 120
    cfg["tags"] = {"Team": "a", "team": "b"}
    cfg["node_pools"][2].update(tpu_topology="4x4", max_nodes=2)
    # The spec edge runs the GCP rules too, so the stack never half-builds.
    with pytest.raises(SpecError) as e:
        PlatformSpec.parse(cfg)
    errors = e.value.errors
    assert [e.split(":")[0] for e in errors] == [
        "tags.team",
        "storage.soft_delete_days",
        "node_pools[2].max_nodes",
    ]
