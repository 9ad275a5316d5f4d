"""Each priced resource type on each cloud, against hand-computed figures.

Prices are the shipped snapshot's (cost/data), so the expectations below are
nodes x hours x listed price etc. written out by hand.
"""

from __future__ import annotations

from typing import Any

import pytest

from cost.estimate import estimate_preview

STACK = "urn:pulumi:t::p::pulumi:pulumi:Stack::p-t"
PROVIDER_PKG = {"aws": "aws", "gcp": "gcp", "azure": "azure-native"}


def doc(cloud: str, region: str, *resources: tuple[str, str, dict[str, Any]]) -> dict[str, Any]:
    purn = f"urn:pulumi:t::p::pulumi:providers:{PROVIDER_PKG[cloud]}::default"
    key = "location" if cloud == "azure" else "region"
    steps = [
        {
            "op": "create",
            "urn": STACK,
            "newState": {
                "urn": STACK,
                "type": "pulumi:pulumi:Stack",
                "custom": False,
                "inputs": {},
            },
        },
        {
            "op": "create",
            "urn": purn,
            "newState": {
                "urn": purn,
                "type": f"pulumi:providers:{PROVIDER_PKG[cloud]}",
                "custom": True,
                "inputs": {key: region},
                "parent": STACK,
            },
        },
    ]
    for type_, name, inputs in resources:
        urn = f"urn:pulumi:t::p::{type_}::{name}"
        steps.append(
            {
                "op": "create",
                "urn": urn,
                "newState": {
                    "urn": urn,
                    "type": type_,
                    "custom": True,
                    "inputs": inputs,
                    "parent": STACK,
                    "provider": f"{purn}::04da6b54-80e4-46f7-96ec-b56ff0331ba9",
                },
            }
        )
    return {"steps": steps}


def line(est: dict[str, Any], name: str) -> dict[str, Any]:
    return next(ln for ln in est["lines"] if ln["name"] == name)


def charge(ln: dict[str, Any], prefix: str) -> dict[str, Any]:
    return next(c for c in ln["charges"] if c["name"].startswith(prefix))


# --- AWS ------------------------------------------------------------------------------------


def test_eks_control_plane_is_ten_cents_an_hour():
    est = estimate_preview(doc("aws", "us-east-1", ("aws:eks/cluster:Cluster", "eks", {})))
    ln = line(est, "eks")
    assert ln["monthly_usd"] == pytest.approx(0.10 * 730)
    assert ln["hourly_usd"] == pytest.approx(0.10)
    assert "aws.amazon.com/eks/pricing" in ln["price_source"]


def test_eks_node_group_on_demand_and_spot():
    est = estimate_preview(
        doc(
            "aws",
            "us-east-1",
            (
                "aws:eks/nodeGroup:NodeGroup",
                "sys",
                {
                    "instanceTypes": ["m6i.xlarge"],
                    "capacityType": "ON_DEMAND",
                    "diskSize": 50,
                    "scalingConfig": {"desiredSize": 3, "minSize": 1, "maxSize": 5},
                },
            ),
            (
                "aws:eks/nodeGroup:NodeGroup",
                "gpu",
                {
                    "instanceTypes": ["p5.48xlarge"],
                    "capacityType": "SPOT",
                    "scalingConfig": {"desiredSize": 2, "minSize": 0, "maxSize": 4},
                },
            ),
        )
    )
    sys = line(est, "sys")
    # 3 nodes x 730 h x $0.192 + 3 x 50 GB gp3 x $0.08
    assert charge(sys, "compute")["monthly_usd"] == pytest.approx(3 * 730 * 0.192)
    assert charge(sys, "node disks")["monthly_usd"] == pytest.approx(3 * 50 * 0.08)
    assert sys["monthly_usd"] == pytest.approx(420.48 + 12.0)
    gpu = line(est, "gpu")
    # spot p5.48xlarge in us-east-1: $16.9508/h in the snapshot
    assert gpu["monthly_usd"] == pytest.approx(2 * 730 * 16.9508)
    assert "spot" in gpu["charges"][0]["name"]


def test_scaled_to_zero_pool_costs_nothing_idle_and_is_priced_from_usage():
    d = doc(
        "aws",
        "us-west-2",
        (
            "aws:eks/nodeGroup:NodeGroup",
            "ml-train-h100-ng",
            {
                "instanceTypes": ["p5.48xlarge"],
                "capacityType": "ON_DEMAND",
                "scalingConfig": {"desiredSize": 0, "minSize": 0, "maxSize": 4},
            },
        ),
    )
    idle = line(estimate_preview(d), "ml-train-h100-ng")
    assert idle["status"] == "priced" and idle["monthly_usd"] == 0.0
    assert any("scaled to zero" in n for n in idle["notes"])
    used = line(
        estimate_preview(d, {"resources": {"train-h100": {"nodes": 2, "hours": 50}}}),
        "ml-train-h100-ng",
    )
    assert used["monthly_usd"] == pytest.approx(2 * 50 * 55.04)


def test_nat_gateway_eip_bucket_kms_ecr_logs():
    est = estimate_preview(
        doc(
            "aws",
            "eu-west-1",
            ("aws:ec2/natGateway:NatGateway", "nat", {}),
            ("aws:ec2/eip:Eip", "nat-ip", {"domain": "vpc"}),
            ("aws:s3/bucket:Bucket", "data", {}),
            ("aws:kms/key:Key", "key", {}),
            ("aws:ecr/repository:Repository", "images", {}),
            ("aws:cloudwatch/logGroup:LogGroup", "logs", {}),
        ),
        {
            "resources": {
                "nat": {"nat_data_gb": 1000},
                "data": {
                    "storage_gb": 500,
                    "egress_gb": 100,
                    "write_requests_k": 10,
                    "read_requests_k": 100,
                },
                "images": {"registry_storage_gb": 40},
                "logs": {"log_ingest_gb": 20, "log_storage_gb": 100},
            }
        },
    )
    assert line(est, "nat")["monthly_usd"] == pytest.approx(0.048 * 730 + 0.048 * 1000)
    assert line(est, "nat-ip")["monthly_usd"] == pytest.approx(0.005 * 730)
    assert line(est, "data")["monthly_usd"] == pytest.approx(
        500 * 0.023 + 10 * 0.005 + 100 * 0.0004 + 100 * 0.09
    )
    assert line(est, "key")["monthly_usd"] == 1.0
    assert line(est, "images")["monthly_usd"] == pytest.approx(40 * 0.10)
    assert line(est, "logs")["monthly_usd"] == pytest.approx(20 * 0.57 + 100 * 0.03)


def test_bucket_uses_documented_default_storage_without_usage():
    est = estimate_preview(doc("aws", "us-east-1", ("aws:s3/bucket:Bucket", "b", {})))
    b = line(est, "b")
    assert charge(b, "storage")["quantity"] == 100 and charge(b, "storage")["usage_based"]
    assert b["monthly_usd"] == pytest.approx(100 * 0.023)


# --- GCP ------------------------------------------------------------------------------------


def test_gke_regional_cluster_pays_the_fee_zonal_gets_the_credit():
    est = estimate_preview(
        doc(
            "gcp",
            "us-central1",
            ("gcp:container/cluster:Cluster", "regional", {"location": "us-central1"}),
            ("gcp:container/cluster:Cluster", "zonal", {"location": "us-central1-a"}),
        )
    )
    assert line(est, "regional")["monthly_usd"] == pytest.approx(73.0)
    assert line(est, "zonal")["monthly_usd"] == pytest.approx(0.0)  # $73 fee - $74.40 credit cap


def test_gke_node_pools_count_nodes_per_zone_and_spot():
    est = estimate_preview(
        doc(
            "gcp",
            "us-central1",
            (
                "gcp:container/nodePool:NodePool",
                "sys",
                {
                    "location": "us-central1",
                    "nodeCount": 1,
                    "nodeConfig": {"machineType": "e2-standard-4", "diskSizeGb": 100},
                },
            ),
            (
                "gcp:container/nodePool:NodePool",
                "a100",
                {
                    "location": "us-central1",
                    "nodeLocations": ["us-central1-a"],
                    "autoscaling": {"minNodeCount": 1, "maxNodeCount": 2},
                    "nodeConfig": {
                        "machineType": "a2-highgpu-8g",
                        "spot": True,
                        "diskSizeGb": 200,
                        "diskType": "pd-ssd",
                    },
                },
            ),
        )
    )
    sys = line(est, "sys")  # regional pool, no nodeLocations: 1 node in each of 3 zones
    assert charge(sys, "compute")["quantity"] == 3 * 730
    assert sys["monthly_usd"] == pytest.approx(3 * 730 * 0.134023 + 3 * 100 * 0.10, abs=0.01)
    a100 = line(est, "a100")
    assert a100["monthly_usd"] == pytest.approx(730 * 15.42416 + 200 * 0.17, abs=0.01)


def test_gcp_storage_nat_kms_registry_vertex():
    est = estimate_preview(
        doc(
            "gcp",
            "us-central1",
            ("gcp:storage/bucket:Bucket", "data", {"location": "US", "storageClass": "STANDARD"}),
            ("gcp:storage/bucket:Bucket", "cold", {"location": "US", "storageClass": "COLDLINE"}),
            ("gcp:compute/routerNat:RouterNat", "nat", {"region": "us-central1"}),
            ("gcp:kms/cryptoKey:CryptoKey", "key", {}),
            ("gcp:artifactregistry/repository:Repository", "images", {"format": "DOCKER"}),
            ("gcp:vertex/aiTensorboard:AiTensorboard", "tb", {}),
            ("gcp:vertex/aiMetadataStore:AiMetadataStore", "md", {}),
        ),
        {
            "resources": {
                "data": {"storage_gb": 1000},
                "nat": {"nat_data_gb": 10},
                "tb": {"vertex_storage_gb": 3},
            }
        },
    )
    assert line(est, "data")["monthly_usd"] == pytest.approx(1000 * 0.026)  # US multi-region
    cold = line(est, "cold")
    assert cold["status"] == "not_priced" and "COLDLINE" in cold["reason"]
    assert line(est, "nat")["monthly_usd"] == pytest.approx(0.0448 * 730 + 10 * 0.045)
    assert line(est, "key")["monthly_usd"] == pytest.approx(0.06)
    assert line(est, "images")["monthly_usd"] == pytest.approx(10 * 0.10)
    assert line(est, "tb")["monthly_usd"] == pytest.approx(30.0)
    assert line(est, "md")["monthly_usd"] == pytest.approx(10.0)


# --- Azure ----------------------------------------------------------------------------------


@pytest.mark.parametrize(("tier", "fee"), [("Free", 0.0), ("Standard", 73.0), ("Premium", 438.0)])
def test_aks_tiers_and_inline_system_pool(tier: str, fee: float):
    est = estimate_preview(
        doc(
            "azure",
            "eastus",
            (
                "azure-native:containerservice:ManagedCluster",
                "aks",
                {
                    "location": "eastus",
                    "sku": {"name": "Base", "tier": tier},
                    "agentPoolProfiles": [
                        {"name": "system", "vmSize": "Standard_D4s_v5", "count": 2}
                    ],
                },
            ),
        )
    )
    aks = line(est, "aks")
    assert charge(aks, "AKS control plane")["monthly_usd"] == pytest.approx(fee)
    assert charge(aks, "pool system")["monthly_usd"] == pytest.approx(2 * 730 * 0.192)


def test_azure_agent_pool_and_aml_compute_low_priority():
    est = estimate_preview(
        doc(
            "azure",
            "eastus",
            (
                "azure-native:containerservice:AgentPool",
                "gpu",
                {"vmSize": "Standard_ND96amsr_A100_v4", "scaleSetPriority": "Spot", "count": 1},
            ),
            (
                "azure-native:machinelearningservices:Compute",
                "aml",
                {
                    "location": "eastus",
                    "properties": {
                        "computeType": "AmlCompute",
                        "properties": {
                            "vmSize": "Standard_ND96amsr_A100_v4",
                            "vmPriority": "LowPriority",
                            "scaleSettings": {"minNodeCount": 0, "maxNodeCount": 4},
                        },
                    },
                },
            ),
        ),
        {"resources": {"aml": {"nodes": 2, "hours": 10}}},
    )
    assert line(est, "gpu")["monthly_usd"] == pytest.approx(730 * 3.6047)
    assert line(est, "aml")["monthly_usd"] == pytest.approx(2 * 10 * 3.6047)


def test_azure_storage_registry_vault_logs_nat():
    est = estimate_preview(
        doc(
            "azure",
            "eastus",
            (
                "azure-native:storage:StorageAccount",
                "st",
                {"location": "eastus", "sku": {"name": "Standard_LRS"}, "accessTier": "Hot"},
            ),
            (
                "azure-native:storage:StorageAccount",
                "zrs",
                {"location": "eastus", "sku": {"name": "Standard_ZRS"}},
            ),
            ("azure-native:containerregistry:Registry", "acr", {"sku": {"name": "Basic"}}),
            ("azure-native:keyvault:Vault", "kv", {"properties": {"sku": {"name": "standard"}}}),
            ("azure-native:operationalinsights:Workspace", "logs", {"sku": {"name": "PerGB2018"}}),
            ("azure-native:network:NatGateway", "nat", {"location": "eastus"}),
        ),
        {
            "resources": {
                "st": {
                    "storage_gb": 1000,
                    "write_requests_k": 100,
                    "read_requests_k": 1000,
                    "egress_gb": 10,
                }
            }
        },
    )
    assert line(est, "st")["monthly_usd"] == pytest.approx(
        1000 * 0.018 + 10 * 0.065 + 100 * 0.005 + 10 * 0.087
    )
    assert line(est, "zrs")["status"] == "not_priced"
    assert line(est, "acr")["monthly_usd"] == pytest.approx(0.167 * 730 / 24, abs=0.01)
    assert line(est, "kv")["monthly_usd"] == pytest.approx(10 * 0.03)
    assert line(est, "logs")["monthly_usd"] == pytest.approx(5 * 2.30)
    assert line(est, "nat")["monthly_usd"] == pytest.approx(0.045 * 730 + 100 * 0.045)


# --- what is not priced ---------------------------------------------------------------------


def test_unknown_instance_type_and_unknown_resource_type_are_not_priced():
    est = estimate_preview(
        doc(
            "aws",
            "us-east-1",
            (
                "aws:eks/nodeGroup:NodeGroup",
                "future",
                {"instanceTypes": ["p9.96xlarge"], "scalingConfig": {"desiredSize": 1}},
            ),
            ("aws:sqs/queue:Queue", "q", {}),
            ("aws:iam/role:Role", "role", {}),
        )
    )
    future, q, role = line(est, "future"), line(est, "q"), line(est, "role")
    assert future["status"] == "not_priced" and "p9.96xlarge" in future["reason"]
    assert future["monthly_usd"] is None  # never a silent zero
    assert q["status"] == "not_priced" and "aws:sqs/queue:Queue" in q["reason"]
    assert role["status"] == "free"
    assert est["counts"]["not_priced"] == 2 and est["monthly_usd"] == 0.0


def test_spot_without_a_spot_price_is_priced_at_on_demand_with_a_note():
    est = estimate_preview(
        doc(
            "gcp",
            "us-central1",
            (
                "gcp:container/nodePool:NodePool",
                "tpu",
                {
                    "location": "us-central1-a",
                    "nodeCount": 1,
                    "nodeConfig": {"machineType": "ct5lp-hightpu-4t", "spot": True},
                },
            ),
        )
    )
    tpu = line(est, "tpu")
    assert charge(tpu, "compute")["monthly_usd"] == pytest.approx(730 * 4.80)
    assert any("upper bound" in n for n in tpu["notes"])


def test_usage_file_errors_name_the_key():
    d = doc("aws", "us-east-1", ("aws:s3/bucket:Bucket", "b", {}))
    with pytest.raises(ValueError, match=r"resources\.b: unknown key\(s\) storage; allowed"):
        estimate_preview(d, {"resources": {"b": {"storage": 5}}})
    with pytest.raises(ValueError, match=r"resources\.b\.storage_gb: expected a number"):
        estimate_preview(d, {"resources": {"b": {"storage_gb": "lots"}}})


def test_private_networking_endpoints_and_dns_zones():
    aws = estimate_preview(
        doc(
            "aws",
            "us-east-1",
            ("aws:ec2/vpcEndpoint:VpcEndpoint", "s3", {"vpcEndpointType": "Gateway"}),
            (
                "aws:ec2/vpcEndpoint:VpcEndpoint",
                "ecr",
                {"vpcEndpointType": "Interface", "subnetIds": ["a", "b"]},
            ),
            ("aws:route53/zone:Zone", "zone", {}),
        )
    )
    assert line(aws, "s3")["status"] == "free"
    assert line(aws, "ecr")["monthly_usd"] == pytest.approx(2 * 730 * 0.01 + 10 * 0.01)
    assert line(aws, "zone")["monthly_usd"] == 0.5
    assert line(aws, "zone")["status"] == "partly_priced"  # queries are usage we do not price
    az = estimate_preview(
        doc(
            "azure",
            "eastus",
            ("azure-native:network:PrivateEndpoint", "pe", {}),
            ("azure-native:privatedns:PrivateZone", "zone", {"location": "global"}),
            ("azure-native:privatedns:VirtualNetworkLink", "link", {"location": "global"}),
        )
    )
    assert line(az, "pe")["monthly_usd"] == pytest.approx(730 * 0.01 + 10 * 0.01)
    assert line(az, "zone")["monthly_usd"] == 0.5
    assert line(az, "link")["status"] == "free"
    gcp = estimate_preview(
        doc("gcp", "us-central1", ("gcp:dns/managedZone:ManagedZone", "zone", {}))
    )
    assert line(gcp, "zone")["monthly_usd"] == 0.2
