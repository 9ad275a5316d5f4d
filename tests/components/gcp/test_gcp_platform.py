"""The gcp-dev stack under mocks: every resource the GCP platform creates, with its properties."""

from __future__ import annotations

import importlib
import json
import re

import yaml

from components.gcp import OUTPUT_KEYS
from components.gcp.keys import AGENT_DOMAINS
from components.gcp.roles import ALLOWED_ROLES, PRIMITIVE_ROLES, SCOPE_OF_TYPE
from components.gcp.services import required_services
from cost.catalog import get_catalog
from stacks.mocks.gcp import NUMBER
from tests.components.gcp.conftest import gcp_resources, pool

PROJECT = "pioneer-ml-dev"
REGION = "us-central1"


def _key_id(run):
    return run.one("gcp:kms/cryptoKey:CryptoKey").id


# --- services -------------------------------------------------------------------------------


def test_every_required_api_is_enabled_and_left_on_at_destroy(dev_run):
    services = dev_run.of_type("gcp:projects/service:Service")
    assert sorted(s.inputs["service"] for s in services) == sorted(required_services(True))
    for s in services:
        assert s.inputs["project"] == PROJECT
        assert s.inputs["disableOnDestroy"] is False


def test_every_other_resource_waits_for_all_services(dev_run):
    service_urns = {s.urn for s in dev_run.of_type("gcp:projects/service:Service")}
    others = [r for r in gcp_resources(dev_run) if r.type != "gcp:projects/service:Service"]
    assert len(others) >= 25
    missing = {
        r.name: sorted(service_urns - set(r.dependencies))
        for r in others
        if not service_urns <= set(r.dependencies)
    }
    assert missing == {}


def test_resources_hang_under_pioneer_gcp_components_with_the_explicit_provider(dev_run):
    by_urn = {r.urn: r for r in dev_run.resources}
    provider = dev_run.one("pulumi:providers:gcp")
    assert provider.inputs["project"] == PROJECT and provider.inputs["region"] == REGION
    # Provider inputs travel JSON-encoded, as the engine passes them to the plugin.
    assert json.loads(provider.inputs["defaultLabels"])["pioneer-stack"] == "gcp-dev"
    for r in gcp_resources(dev_run):
        parent = by_urn[r.parent]
        assert parent.type.startswith("pioneer:gcp:"), (r.name, parent.type)
        assert r.name.startswith(parent.name), (r.name, parent.name)
        assert r.provider.startswith(provider.urn), r.name


API_OF_MODULE = {
    "compute": "compute.googleapis.com",
    "container": "container.googleapis.com",
    "storage": "storage.googleapis.com",
    "kms": "cloudkms.googleapis.com",
    "artifactregistry": "artifactregistry.googleapis.com",
    "vertex": "aiplatform.googleapis.com",
    "serviceaccount": "iam.googleapis.com",
    "projects": "cloudresourcemanager.googleapis.com",
}


def test_each_resource_waits_for_the_api_that_serves_it(dev_run):
    service_urn = {
        s.inputs["service"]: s.urn for s in dev_run.of_type("gcp:projects/service:Service")
    }
    for r in gcp_resources(dev_run):
        if r.type == "gcp:projects/service:Service":
            continue
        api = API_OF_MODULE[r.type.split(":")[1].split("/")[0]]
        assert service_urn[api] in r.dependencies, (r.name, api)


# --- network --------------------------------------------------------------------------------


def test_custom_mode_vpc_with_pod_and_service_ranges_router_and_nat(dev_run):
    vpc = dev_run.one("gcp:compute/network:Network")
    assert vpc.inputs["autoCreateSubnetworks"] is False
    subnet = dev_run.one("gcp:compute/subnetwork:Subnetwork")
    assert subnet.inputs["network"] == vpc.id
    assert subnet.inputs["ipCidrRange"] == "10.30.0.0/18"
    assert subnet.inputs["privateIpGoogleAccess"] is True
    ranges = {r["rangeName"]: r["ipCidrRange"] for r in subnet.inputs["secondaryIpRanges"]}
    assert ranges == {"pods": "10.30.128.0/17", "services": "10.30.64.0/18"}
    router = dev_run.one("gcp:compute/router:Router")
    assert router.inputs["network"] == vpc.id and router.inputs["region"] == REGION
    nat = dev_run.one("gcp:compute/routerNat:RouterNat")
    assert nat.inputs["router"] == router.state["name"]
    assert nat.inputs["sourceSubnetworkIpRangesToNat"] == "LIST_OF_SUBNETWORKS"
    assert [s["name"] for s in nat.inputs["subnetworks"]] == [subnet.id]
    # Nothing refers to the project's default network.
    assert not [
        r.name for r in gcp_resources(dev_run) if re.search(r"networks/default\b", str(r.inputs))
    ]


# --- keys -----------------------------------------------------------------------------------


def test_key_ring_and_rotating_key_in_the_platform_region(dev_run):
    ring = dev_run.one("gcp:kms/keyRing:KeyRing")
    key = dev_run.one("gcp:kms/cryptoKey:CryptoKey")
    assert ring.inputs["location"] == REGION
    assert key.inputs["keyRing"] == ring.id
    assert key.inputs["purpose"] == "ENCRYPT_DECRYPT"
    seconds = int(key.inputs["rotationPeriod"].rstrip("s"))
    assert 0 < seconds <= 90 * 86400


def test_key_grants_go_to_service_agents_only(dev_run):
    grants = dev_run.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
    key_id = _key_id(dev_run)
    members = sorted(g.inputs["member"] for g in grants)
    assert members == sorted(f"serviceAccount:service-{NUMBER}@{d}" for d in AGENT_DOMAINS.values())
    assert {"gs-project-accounts", "gcp-sa-aiplatform", "gcp-sa-artifactregistry"} <= {
        m.split("@")[1].split(".")[0] for m in members
    }
    for g in grants:
        assert g.inputs["cryptoKeyId"] == key_id
        assert g.inputs["role"] == "roles/cloudkms.cryptoKeyEncrypterDecrypter"


# --- storage --------------------------------------------------------------------------------


def test_bucket_is_private_cmek_versioned_with_lifecycle_and_soft_delete(dev_run):
    bucket = dev_run.by_name("mlp-gcp-storage-data")
    i = bucket.inputs
    assert i["uniformBucketLevelAccess"] is True
    assert i["publicAccessPrevention"] == "enforced"
    assert i["encryption"]["defaultKmsKeyName"] == _key_id(dev_run)
    assert i["versioning"] == {"enabled": True}
    assert i["location"] == "US-CENTRAL1"
    delete = [r for r in i["lifecycleRules"] if r["action"]["type"] == "Delete"]
    assert [r["condition"]["daysSinceNoncurrentTime"] for r in delete] == [30]
    assert i["softDeletePolicy"]["retentionDurationSeconds"] == 7 * 86400
    # The GCS agent must hold the key before a CMEK bucket can be created.
    gcs_grant = dev_run.by_name("mlp-gcp-keys-storage-agent-key")
    assert gcs_grant.urn in bucket.dependencies


# --- cluster --------------------------------------------------------------------------------


def test_private_gke_with_workload_identity_shielded_nodes_and_encrypted_secrets(dev_run):
    c = dev_run.one("gcp:container/cluster:Cluster").inputs
    assert c["privateClusterConfig"]["enablePrivateNodes"] is True
    # gcp-dev: the endpoint is public, limited to authorized_cidrs and the node subnet
    assert c["privateClusterConfig"]["enablePrivateEndpoint"] is False
    blocks = [b["cidrBlock"] for b in c["masterAuthorizedNetworksConfig"]["cidrBlocks"]]
    assert blocks[0] == "203.0.113.0/24" and len(blocks) == 2
    assert c["workloadIdentityConfig"]["workloadPool"] == f"{PROJECT}.svc.id.goog"
    assert c["enableShieldedNodes"] is True
    assert c["releaseChannel"] == {"channel": "REGULAR"}
    assert c["removeDefaultNodePool"] is True
    assert c["deletionProtection"] is True
    assert c["databaseEncryption"] == {"state": "ENCRYPTED", "keyName": _key_id(dev_run)}
    assert c["ipAllocationPolicy"] == {
        "clusterSecondaryRangeName": "pods",
        "servicesSecondaryRangeName": "services",
    }
    assert c["network"] == dev_run.one("gcp:compute/network:Network").id
    assert c["location"] == REGION
    node_sa = dev_run.by_name("mlp-gcp-iam-nodes").state["email"]
    assert c["nodeConfig"]["serviceAccount"] == node_sa
    assert (
        dev_run.by_name("mlp-gcp-keys-container-agent-key").urn
        in dev_run.one("gcp:container/cluster:Cluster").dependencies
    )


def test_gpu_pool_takes_catalog_machine_accelerators_driver_spot_and_taint(dev_run):
    p = pool(dev_run, "train-a100")
    nc = p.inputs["nodeConfig"]
    assert nc["machineType"] == get_catalog().instance_types("gcp", REGION, "A100", 8)[0]
    assert nc["guestAccelerators"] == [
        {
            "type": "nvidia-tesla-a100",
            "count": 8,
            "gpuDriverInstallationConfig": {"gpuDriverVersion": "DEFAULT"},
        }
    ]
    assert nc["spot"] is True
    assert nc["taints"] == [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]
    assert nc["labels"]["pioneer.dev/accelerator"] == "a100"
    assert nc["diskSizeGb"] == 500
    assert p.inputs["autoscaling"]["totalMinNodeCount"] == 0
    assert p.inputs["autoscaling"]["totalMaxNodeCount"] == 4
    assert p.inputs["cluster"] == dev_run.one("gcp:container/cluster:Cluster").state["name"]


def test_tpu_pool_has_tpu_machine_compact_placement_with_topology_and_spot(dev_run):
    p = pool(dev_run, "train-tpu")
    nc = p.inputs["nodeConfig"]
    assert nc["machineType"] == "ct5lp-hightpu-4t"
    assert p.inputs["placementPolicy"] == {"type": "COMPACT", "tpuTopology": "2x2"}
    assert nc["spot"] is True
    assert "guestAccelerators" not in nc
    assert nc["labels"]["pioneer.dev/accelerator"] == "tpu-v5e"


def test_cpu_pool_is_on_demand_without_accelerators(dev_run):
    nc = pool(dev_run, "system").inputs["nodeConfig"]
    assert nc["machineType"] == "e2-standard-4"
    assert nc["spot"] is False
    assert "guestAccelerators" not in nc and "taints" not in nc


def test_every_node_pool_runs_as_the_node_account_with_gke_metadata_and_shielded_vms(dev_run):
    node_sa = dev_run.by_name("mlp-gcp-iam-nodes").state["email"]
    assert not node_sa.endswith("-compute@developer.gserviceaccount.com")
    pools = dev_run.of_type("gcp:container/nodePool:NodePool")
    assert len(pools) == 3
    compute_grant = dev_run.by_name("mlp-gcp-keys-compute-agent-key").urn
    for p in pools:
        nc = p.inputs["nodeConfig"]
        assert nc["serviceAccount"] == node_sa
        # Boot disks use the platform key; Compute Engine's agent must hold it first.
        assert nc["bootDiskKmsKey"] == _key_id(dev_run)
        assert compute_grant in p.dependencies
        assert nc["workloadMetadataConfig"] == {"mode": "GKE_METADATA"}
        assert nc["shieldedInstanceConfig"] == {
            "enableSecureBoot": True,
            "enableIntegrityMonitoring": True,
        }


# --- identity and IAM -----------------------------------------------------------------------


def _grants(run):
    return [r for r in run.resources if r.type in SCOPE_OF_TYPE]


def test_every_grant_uses_an_allowed_role_at_its_narrowest_scope(dev_run):
    grants = _grants(dev_run)
    assert len(grants) >= 12
    for g in grants:
        role = g.inputs["role"]
        assert role not in PRIMITIVE_ROLES
        assert ALLOWED_ROLES[role] == SCOPE_OF_TYPE[g.type], (g.name, role)
    # No other IAM resource types (bindings, policies) slipped in.
    assert not [
        r.type
        for r in gcp_resources(dev_run)
        if re.search(r"iam(binding|policy|member)", r.type, re.I) and r.type not in SCOPE_OF_TYPE
    ]


def test_node_account_holds_only_log_metric_and_image_read(dev_run):
    email = dev_run.by_name("mlp-gcp-iam-nodes").state["email"]
    roles = sorted(
        (g.type.split(":")[1].split("/")[0], g.inputs["role"])
        for g in _grants(dev_run)
        if g.inputs["member"] == f"serviceAccount:{email}"
    )
    assert roles == [
        ("artifactregistry", "roles/artifactregistry.reader"),
        ("projects", "roles/logging.logWriter"),
        ("projects", "roles/monitoring.metricWriter"),
        ("projects", "roles/monitoring.viewer"),
    ]


def test_training_account_reaches_the_platform_bucket_only_and_runs_vertex_jobs(dev_run):
    email = dev_run.by_name("mlp-gcp-iam-train").state["email"]
    mine = [g for g in _grants(dev_run) if g.inputs["member"] == f"serviceAccount:{email}"]
    by_role = {g.inputs["role"]: g for g in mine}
    assert set(by_role) == {
        "roles/storage.objectAdmin",
        "roles/aiplatform.user",
        "roles/artifactregistry.reader",
    }
    bucket_grant = by_role["roles/storage.objectAdmin"]
    assert bucket_grant.type == "gcp:storage/bucketIAMMember:BucketIAMMember"
    assert bucket_grant.inputs["bucket"] == dev_run.by_name("mlp-gcp-storage-data").state["name"]
    assert not [
        g
        for g in mine
        if g.type == "gcp:projects/iAMMember:IAMMember"
        and g.inputs["role"].startswith("roles/storage.")
    ]
    wi = dev_run.one("gcp:serviceaccount/iAMMember:IAMMember")
    assert wi.inputs["serviceAccountId"] == dev_run.by_name("mlp-gcp-iam-train").state["name"]
    assert wi.inputs["member"] == f"serviceAccount:{PROJECT}.svc.id.goog[training/trainer]"
    # The identity pool only exists once the cluster does.
    assert dev_run.one("gcp:container/cluster:Cluster").urn in wi.dependencies


# --- Vertex AI and Artifact Registry ------------------------------------------------------


def test_vertex_metadata_store_tensorboard_and_docker_repo_use_the_key(dev_run):
    key_id = _key_id(dev_run)
    store = dev_run.one("gcp:vertex/aiMetadataStore:AiMetadataStore")
    board = dev_run.one("gcp:vertex/aiTensorboard:AiTensorboard")
    repo = dev_run.one("gcp:artifactregistry/repository:Repository")
    assert store.inputs["encryptionSpec"] == {"kmsKeyName": key_id}
    assert board.inputs["encryptionSpec"] == {"kmsKeyName": key_id}
    assert store.inputs["region"] == board.inputs["region"] == REGION
    assert repo.inputs["format"] == "DOCKER" and repo.inputs["kmsKeyName"] == key_id
    assert repo.inputs["location"] == REGION
    vertex_grant = dev_run.by_name("mlp-gcp-keys-aiplatform-agent-key").urn
    assert vertex_grant in store.dependencies and vertex_grant in board.dependencies
    assert dev_run.by_name("mlp-gcp-keys-artifactregistry-agent-key").urn in repo.dependencies


# --- labels ---------------------------------------------------------------------------------


def _takes_labels(type_: str) -> bool:
    """Whether the pulumi_gcp class behind a type token has a labels argument."""
    module, cls = type_.split(":")[1].split("/")[0], type_.split(":")[2]
    resource = getattr(importlib.import_module(f"pulumi_gcp.{module}"), cls)
    return any(hasattr(resource, attr) for attr in ("labels", "resource_labels"))


def test_every_labelable_resource_carries_spec_and_pioneer_labels(dev_run):
    labelled = set()
    for r in gcp_resources(dev_run):
        if r.type == "gcp:container/nodePool:NodePool":
            labels = r.inputs["nodeConfig"]["resourceLabels"]  # labels of the node VMs
        elif _takes_labels(r.type):
            labels = r.inputs.get("labels") or r.inputs.get("resourceLabels")
            assert labels, f"{r.type} {r.name} takes labels but has none"
        else:
            continue
        labelled.add(r.type)
        assert labels["pioneer-stack"] == "gcp-dev", r.name
        assert re.fullmatch(r"[a-z][a-z0-9-]*", labels["pioneer-component"]), r.name
        expected = {"team": "ml-platform", "env": "dev", "cost-center": "research"}
        assert expected.items() <= labels.items(), r.name
    assert {
        "gcp:storage/bucket:Bucket",
        "gcp:kms/cryptoKey:CryptoKey",
        "gcp:artifactregistry/repository:Repository",
        "gcp:vertex/aiTensorboard:AiTensorboard",
        "gcp:container/cluster:Cluster",
        "gcp:container/nodePool:NodePool",
    } <= labelled


# --- outputs --------------------------------------------------------------------------------


def test_outputs_name_what_users_and_backends_read(dev_run):
    out = dev_run.outputs
    assert set(OUTPUT_KEYS) <= set(out)
    bucket = dev_run.by_name("mlp-gcp-storage-data")
    assert out["project"] == PROJECT and out["region"] == REGION
    assert out["bucket_name"] == bucket.state["name"]
    assert out["bucket_url"] == f"gs://{bucket.state['name']}"
    assert out["kms_key_id"] == _key_id(dev_run)
    assert out["training_service_account"] == f"mlp-gcp-iam-train@{PROJECT}.iam.gserviceaccount.com"
    assert out["registry_url"] == f"{REGION}-docker.pkg.dev/{PROJECT}/mlp-gcp-mlops-images"
    assert out["metadata_store_id"] == dev_run.one("gcp:vertex/aiMetadataStore:AiMetadataStore").id
    assert out["tensorboard_id"] == dev_run.one("gcp:vertex/aiTensorboard:AiTensorboard").id
    assert out["network"] == dev_run.one("gcp:compute/network:Network").state["selfLink"]
    assert out["subnetwork"] == dev_run.one("gcp:compute/subnetwork:Subnetwork").state["selfLink"]
    pools = {p["pool"]: p for p in out["node_pools"]}
    assert pools["train-a100"]["capacity"] == "spot"
    assert pools["train-a100"]["accelerator"] == "A100"
    assert pools["train-tpu"]["machine_type"] == "ct5lp-hightpu-4t"
    assert pools["system"] == {
        "name": pool(dev_run, "system").state["name"],
        "pool": "system",
        "capacity": "on_demand",
        "accelerator": None,
        "accelerators_per_node": 0,
        "tpu_topology": None,
        "machine_type": "e2-standard-4",
    }
    assert pools["train-tpu"]["tpu_topology"] == "2x2"
    assert pools["train-tpu"]["accelerators_per_node"] == 4


def test_kubeconfig_is_secret_and_uses_the_gke_auth_plugin(dev_run):
    assert "kubeconfig" in dev_run.secret_outputs
    cfg = yaml.safe_load(dev_run.outputs["kubeconfig"])
    cluster = cfg["clusters"][0]["cluster"]
    assert cluster["server"] == f"https://{dev_run.outputs['cluster_endpoint']}"
    assert (
        cluster["certificate-authority-data"]
        == dev_run.one("gcp:container/cluster:Cluster").state["masterAuth"]["clusterCaCertificate"]
    )
    exec_ = cfg["users"][0]["user"]["exec"]
    assert exec_["command"] == "gke-gcloud-auth-plugin"
    assert "token" not in str(cfg["users"])


def test_storage_agent_is_requested_before_its_key_grant(dev_run):
    # On a fresh project the Cloud Storage agent exists only once it has been asked for.
    assert "gcp:storage/getProjectServiceAccount:getProjectServiceAccount" in dev_run.invokes
    members = dev_run.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")
    grant = next(r for r in members if r.name.endswith("-storage-agent-key"))
    assert grant.inputs["member"].endswith("@gs-project-accounts.iam.gserviceaccount.com")


def test_control_plane_reaches_every_add_on_webhook_port(dev_run):
    from components.k8s.addons import WEBHOOK_PORTS

    (rule,) = [
        r for r in dev_run.of_type("gcp:compute/firewall:Firewall") if r.name.endswith("-webhooks")
    ]
    cluster = dev_run.one("gcp:container/cluster:Cluster").inputs
    assert rule.inputs["direction"] == "INGRESS"
    assert rule.inputs["sourceRanges"] == [cluster["privateClusterConfig"]["masterIpv4CidrBlock"]]
    allowed = {p for a in rule.inputs["allows"] if a["protocol"] == "tcp" for p in a["ports"]}
    releases = {r.inputs["name"] for r in dev_run.of_type("kubernetes:helm.sh/v3:Release")}
    assert set(WEBHOOK_PORTS) <= releases  # each port belongs to an add-on this stack installs
    for release, port in WEBHOOK_PORTS.items():
        assert str(port) in allowed, release
    assert rule.inputs["targetServiceAccounts"] == [cluster["nodeConfig"]["serviceAccount"]]


def test_gke_enforces_binary_authorization_with_intranode_visibility(dev_run):
    cluster = dev_run.one("gcp:container/cluster:Cluster").inputs
    assert cluster["binaryAuthorization"] == {"evaluationMode": "PROJECT_SINGLETON_POLICY_ENFORCE"}
    assert cluster["enableIntranodeVisibility"] is True
    assert "binaryauthorization.googleapis.com" in {
        s.inputs["service"] for s in dev_run.of_type("gcp:projects/service:Service")
    }


def test_key_users_wait_for_every_grant_to_propagate(dev_run):
    """#16.12: ordering after the grant is not enough; IAM is eventually consistent."""
    (wait,) = dev_run.of_type("time:index/sleep:Sleep")
    grants = {r.urn for r in dev_run.of_type("gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember")}
    assert grants and grants <= set(wait.dependencies)
    assert wait.inputs["createDuration"] == "60s" and len(wait.inputs["triggers"]) == len(grants)
    for t in ("gcp:storage/bucket:Bucket", "gcp:container/cluster:Cluster",
              "gcp:artifactregistry/repository:Repository"):  # fmt: skip
        for r in dev_run.of_type(t):
            assert wait.urn in r.dependencies, r.name


def test_bucket_usage_logs_go_to_a_locked_down_log_bucket(dev_run):
    """#18.14: GCS usage (access) logs, kept 365 days, written only by Cloud Storage."""
    data, logs = (
        dev_run.by_name("mlp-gcp-storage-data"),
        dev_run.by_name("mlp-gcp-storage-access-logs"),
    )
    assert data.inputs["logging"]["logBucket"] == logs.state["name"]
    li = logs.inputs
    assert li["publicAccessPrevention"] == "enforced" and li["uniformBucketLevelAccess"] is True
    assert li["encryption"] == data.inputs["encryption"]
    assert li["lifecycleRules"][0]["condition"]["age"] == 365
    (writer,) = [g for g in dev_run.of_type("gcp:storage/bucketIAMMember:BucketIAMMember")
                 if g.inputs["bucket"] == logs.state["name"]]  # fmt: skip
    assert writer.inputs["member"] == "group:cloud-storage-analytics@google.com"
    assert writer.inputs["role"] == "roles/storage.objectCreator"
