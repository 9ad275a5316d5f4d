"""`pioneer plan gcp-dev --json`: the document shows everything the GCP issue's "done" lists."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from stacks.cli import app


@pytest.fixture(scope="module")
def doc() -> dict:
    result = CliRunner().invoke(app, ["plan", "gcp-dev", "--json"])
    assert result.exit_code == 0, result.output
    return json.loads(result.stdout)


def _states(doc, type_):
    return [s["newState"] for s in doc["steps"] if s["newState"]["type"] == type_]


def _one(doc, type_):
    (state,) = _states(doc, type_)
    return state["inputs"]


def test_plan_lists_services_network_and_keys(doc):
    services = {s["inputs"]["service"] for s in _states(doc, "gcp:projects/service:Service")}
    assert {
        "compute.googleapis.com",
        "container.googleapis.com",
        "aiplatform.googleapis.com",
        "cloudkms.googleapis.com",
        "artifactregistry.googleapis.com",
    } <= services
    assert _one(doc, "gcp:compute/network:Network")["autoCreateSubnetworks"] is False
    assert len(_one(doc, "gcp:compute/subnetwork:Subnetwork")["secondaryIpRanges"]) == 2
    assert _one(doc, "gcp:compute/router:Router")
    assert _one(doc, "gcp:compute/routerNat:RouterNat")["natIpAllocateOption"] == "AUTO_ONLY"
    assert _one(doc, "gcp:kms/keyRing:KeyRing")["location"] == "us-central1"
    assert _one(doc, "gcp:kms/cryptoKey:CryptoKey")["rotationPeriod"]


def test_plan_lists_the_private_bucket_and_cluster_with_its_pools(doc):
    buckets = _states(doc, "gcp:storage/bucket:Bucket")  # the data bucket and its access logs
    (bucket,) = [b["inputs"] for b in buckets if b["urn"].endswith("-storage-data")]
    assert bucket["logging"]["logBucket"]
    assert bucket["uniformBucketLevelAccess"] is True
    assert bucket["publicAccessPrevention"] == "enforced"
    assert bucket["encryption"]["defaultKmsKeyName"].startswith(
        "projects/pioneer-ml-dev/locations/"
    )
    cluster = _one(doc, "gcp:container/cluster:Cluster")
    assert cluster["privateClusterConfig"]["enablePrivateNodes"] is True
    assert cluster["workloadIdentityConfig"]["workloadPool"] == "pioneer-ml-dev.svc.id.goog"
    pools = [s["inputs"] for s in _states(doc, "gcp:container/nodePool:NodePool")]
    gpu = [p for p in pools if p["nodeConfig"].get("guestAccelerators")]
    tpu = [p for p in pools if p.get("placementPolicy", {}).get("tpuTopology")]
    assert gpu and all(p["nodeConfig"]["spot"] is True for p in gpu)
    assert [p["placementPolicy"]["tpuTopology"] for p in tpu] == ["2x2"]


def test_plan_lists_accounts_vertex_and_registry_and_hides_the_kubeconfig(doc):
    accounts = {
        s["inputs"]["accountId"] for s in _states(doc, "gcp:serviceaccount/account:Account")
    }
    assert accounts == {"mlp-gcp-iam-nodes", "mlp-gcp-iam-train"}
    assert _one(doc, "gcp:vertex/aiMetadataStore:AiMetadataStore")["encryptionSpec"]["kmsKeyName"]
    assert _one(doc, "gcp:vertex/aiTensorboard:AiTensorboard")["encryptionSpec"]["kmsKeyName"]
    assert _one(doc, "gcp:artifactregistry/repository:Repository")["format"] == "DOCKER"
    assert doc["outputs"]["kubeconfig"] == "[secret]"
    assert doc["outputs"]["registry_url"].startswith("us-central1-docker.pkg.dev/")
