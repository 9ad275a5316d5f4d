"""Compute rules: private nodes, encrypted secrets, no local accounts, tainted GPU pools."""

from __future__ import annotations

import pytest

from tests.policy.helpers import findings, res, urns

NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
SUBNET = "aws:ec2/subnet:Subnet"
GKE = "gcp:container/cluster:Cluster"
GKE_POOL = "gcp:container/nodePool:NodePool"
AKS = "azure-native:containerservice:ManagedCluster"
AGENT_POOL = "azure-native:containerservice:AgentPool"
AML = "azure-native:machinelearningservices:Compute"
GPU_TAINT = [{"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}]


def node_group(name: str = "gpu", subnets=("private-id",), **inputs) -> dict:
    return res(
        NODE_GROUP,
        name,
        {
            "subnetIds": list(subnets),
            "capacityType": "SPOT",
            "amiType": "AL2023_x86_64_NVIDIA",
            "instanceTypes": ["p5.48xlarge"],
            "scalingConfig": {"minSize": 0, "maxSize": 4, "desiredSize": 0},
            "taints": GPU_TAINT,
            **inputs,
        },
    )


def aml(**props) -> dict:
    return res(
        AML,
        "gpu",
        {
            "properties": {
                "computeType": "AmlCompute",
                "properties": {
                    "vmSize": "Standard_ND96amsr_A100_v4",
                    "vmPriority": "LowPriority",
                    "scaleSettings": {"minNodeCount": 0, "maxNodeCount": 4},
                    "enableNodePublicIp": False,
                    **props,
                },
            }
        },
    )


# ---- compute-no-public-node-ips -------------------------------------------------------------


def test_node_group_in_private_subnet_passes():
    private = res(SUBNET, "private", {"mapPublicIpOnLaunch": False})
    assert findings("compute-no-public-node-ips", private, node_group()) == []


def test_node_group_in_subnet_mapping_public_ips_fails_on_the_subnet():
    public = res(SUBNET, "public", {"mapPublicIpOnLaunch": True})
    unused = res(
        SUBNET, "lb", {"mapPublicIpOnLaunch": True}
    )  # no nodes there: not this rule's concern
    assert urns(
        "compute-no-public-node-ips", public, unused, node_group(subnets=("public-id",))
    ) == [public["urn"]]


def test_unknown_subnet_ids_fall_back_to_dependencies():
    elsewhere = res(SUBNET, "elsewhere", {"mapPublicIpOnLaunch": True})
    nodes = res(SUBNET, "nodes", {"mapPublicIpOnLaunch": True})
    group = node_group(subnets=("04da6b54-80e4-46f7-96ec-b56ff0331ba9",))
    group["dependencies"] = [nodes["urn"]]
    assert urns("compute-no-public-node-ips", elsewhere, nodes, group) == [nodes["urn"]]


def test_launch_template_with_public_ip_fails():
    template = "aws:ec2/launchTemplate:LaunchTemplate"
    bad = res(template, "lt", {"networkInterfaces": [{"associatePublicIpAddress": "true"}]})
    good = res(template, "lt", {"networkInterfaces": [{"associatePublicIpAddress": "false"}]})
    assert findings("compute-no-public-node-ips", bad)
    assert findings("compute-no-public-node-ips", good) == []


def test_aks_node_public_ip():
    assert findings(
        "compute-no-public-node-ips", res(AGENT_POOL, "gpu", {"enableNodePublicIP": True})
    )
    assert (
        findings(
            "compute-no-public-node-ips", res(AGENT_POOL, "gpu", {"enableNodePublicIP": False})
        )
        == []
    )
    cluster = res(
        AKS, "aks", {"agentPoolProfiles": [{"name": "system", "enableNodePublicIP": True}]}
    )
    assert "'system'" in findings("compute-no-public-node-ips", cluster)[0]


def test_aml_compute_must_turn_node_public_ip_off():
    assert findings("compute-no-public-node-ips", aml()) == []
    assert findings("compute-no-public-node-ips", aml(enableNodePublicIp=True))
    unset = aml()
    del unset["inputs"]["properties"]["properties"]["enableNodePublicIp"]
    assert findings("compute-no-public-node-ips", unset)  # Azure's default is a public IP


def test_gce_access_config_and_gke_pool_private_nodes():
    vm = "gcp:compute/instance:Instance"
    assert findings(
        "compute-no-public-node-ips",
        res(vm, "vm", {"networkInterfaces": [{"accessConfigs": [{}]}]}),
    )
    assert (
        findings(
            "compute-no-public-node-ips", res(vm, "vm", {"networkInterfaces": [{"network": "n"}]})
        )
        == []
    )
    assert findings(
        "compute-no-public-node-ips",
        res(GKE_POOL, "p", {"networkConfig": {"enablePrivateNodes": False}}),
    )


# ---- compute-gke-private-nodes / secrets encryption / local accounts ------------------------


def test_gke_private_nodes():
    assert (
        findings(
            "compute-gke-private-nodes",
            res(GKE, "gke", {"privateClusterConfig": {"enablePrivateNodes": True}}),
        )
        == []
    )
    assert findings("compute-gke-private-nodes", res(GKE, "gke", {}))
    assert findings(
        "compute-gke-private-nodes",
        res(GKE, "gke", {"privateClusterConfig": {"enablePrivateNodes": False}}),
    )


def test_eks_secrets_encryption():
    eks = "aws:eks/cluster:Cluster"
    good = {"encryptionConfig": {"resources": ["secrets"], "provider": {"keyArn": "arn:aws:kms:k"}}}
    assert findings("compute-eks-secrets-encryption", res(eks, "eks", good)) == []
    assert findings("compute-eks-secrets-encryption", res(eks, "eks", {}))
    assert findings(
        "compute-eks-secrets-encryption",
        res(eks, "eks", {"encryptionConfig": {"resources": ["secrets"], "provider": {}}}),
    )


def test_gke_secrets_encryption_advisory():
    assert (
        findings(
            "compute-gke-secrets-encryption",
            res(GKE, "gke", {"databaseEncryption": {"state": "ENCRYPTED", "keyName": "k"}}),
        )
        == []
    )
    assert findings(
        "compute-gke-secrets-encryption",
        res(GKE, "gke", {"databaseEncryption": {"state": "DECRYPTED"}}),
    )


def test_aks_local_accounts():
    assert (
        findings(
            "compute-aks-local-accounts-disabled", res(AKS, "aks", {"disableLocalAccounts": True})
        )
        == []
    )
    assert findings("compute-aks-local-accounts-disabled", res(AKS, "aks", {}))


# ---- compute-gpu-taint ----------------------------------------------------------------------


def test_eks_gpu_node_group_taint():
    assert findings("compute-gpu-taint", node_group()) == []
    assert findings("compute-gpu-taint", node_group(taints=[]))
    # detected from the instance type alone, too
    assert findings(
        "compute-gpu-taint",
        node_group(amiType="AL2023_x86_64_STANDARD", taints=[], instanceTypes=["g6e.12xlarge"]),
    )


def test_cpu_node_group_needs_no_taint():
    cpu = node_group(
        "system", amiType="AL2023_x86_64_STANDARD", instanceTypes=["m6i.xlarge"], taints=[]
    )
    assert findings("compute-gpu-taint", cpu) == []


@pytest.mark.parametrize("effect", ["PREFER_NO_SCHEDULE", "NO_EXECUTE"])
def test_taint_must_be_no_schedule(effect):
    assert findings(
        "compute-gpu-taint", node_group(taints=[{"key": "nvidia.com/gpu", "effect": effect}])
    )


def test_gke_gpu_pool_taint():
    config = {
        "machineType": "a2-highgpu-8g",
        "guestAccelerators": [{"type": "nvidia-tesla-a100", "count": 8}],
    }
    assert (
        findings(
            "compute-gpu-taint", res(GKE_POOL, "p", {"nodeConfig": {**config, "taints": GPU_TAINT}})
        )
        == []
    )
    assert findings("compute-gpu-taint", res(GKE_POOL, "p", {"nodeConfig": config}))
    tpu = {"machineType": "ct5lp-hightpu-4t"}
    assert findings("compute-gpu-taint", res(GKE_POOL, "tpu", {"nodeConfig": tpu})) == []


def test_aks_gpu_pool_taint_string_form():
    vm = "Standard_ND96amsr_A100_v4"
    good = res(
        AGENT_POOL,
        "gpu",
        {
            "vmSize": vm,
            "nodeTaints": [
                "kubernetes.azure.com/scalesetpriority=spot:NoSchedule",
                "nvidia.com/gpu=present:NoSchedule",
            ],
        },
    )
    bad = res(
        AGENT_POOL,
        "gpu",
        {"vmSize": vm, "nodeTaints": ["kubernetes.azure.com/scalesetpriority=spot:NoSchedule"]},
    )
    assert findings("compute-gpu-taint", good) == []
    assert findings("compute-gpu-taint", bad)
    cluster = res(
        AKS,
        "aks",
        {
            "agentPoolProfiles": [
                {"name": "gpu", "vmSize": vm, "nodeTaints": []},
                {"name": "system", "vmSize": "Standard_D4s_v5"},
            ]
        },
    )
    assert len(findings("compute-gpu-taint", cluster)) == 1


# ---- compute-private-endpoint (advisory) ----------------------------------------------------


def test_private_endpoint():
    eks = "aws:eks/cluster:Cluster"
    assert (
        findings(
            "compute-private-endpoint",
            res(
                eks,
                "eks",
                {"vpcConfig": {"endpointPublicAccess": False, "endpointPrivateAccess": True}},
            ),
        )
        == []
    )
    assert (
        "0.0.0.0/0" in findings("compute-private-endpoint", res(eks, "eks", {"vpcConfig": {}}))[0]
    )
    assert (
        findings(
            "compute-private-endpoint",
            res(
                GKE,
                "gke",
                {
                    "privateClusterConfig": {
                        "enablePrivateNodes": True,
                        "enablePrivateEndpoint": True,
                    }
                },
            ),
        )
        == []
    )
    assert findings("compute-private-endpoint", res(AKS, "aks", {}))


def test_public_endpoint_limited_to_listed_networks_passes():
    eks = "aws:eks/cluster:Cluster"
    limited = {
        "vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["198.51.100.7/32"]}
    }
    assert findings("compute-private-endpoint", res(eks, "eks", limited)) == []
    anywhere = {"vpcConfig": {"endpointPublicAccess": True, "publicAccessCidrs": ["0.0.0.0/0"]}}
    assert "0.0.0.0/0" in findings("compute-private-endpoint", res(eks, "eks", anywhere))[0]
    gke = {
        "privateClusterConfig": {"enablePrivateEndpoint": False},
        "masterAuthorizedNetworksConfig": {"cidrBlocks": [{"cidrBlock": "198.51.100.0/24"}]},
    }
    assert findings("compute-private-endpoint", res(GKE, "gke", gke)) == []
    gke["masterAuthorizedNetworksConfig"] = {"cidrBlocks": []}
    assert findings("compute-private-endpoint", res(GKE, "gke", gke))
    aks = {"apiServerAccessProfile": {"authorizedIPRanges": ["198.51.100.0/24"]}}
    assert findings("compute-private-endpoint", res(AKS, "aks", aks)) == []


# ---- compute-private-ml-workspace (advisory) ------------------------------------------------


def test_private_ml_workspaces():
    workspace = "azure-native:machinelearningservices:Workspace"
    assert (
        findings(
            "compute-private-ml-workspace",
            res(workspace, "ws", {"publicNetworkAccess": "Disabled"}),
        )
        == []
    )
    assert findings(
        "compute-private-ml-workspace", res(workspace, "ws", {"publicNetworkAccess": "Enabled"})
    )
    assert findings(
        "compute-private-ml-workspace", res(workspace, "ws", {})
    )  # the API default is public
    domain = "aws:sagemaker/domain:Domain"
    assert (
        findings(
            "compute-private-ml-workspace", res(domain, "d", {"appNetworkAccessType": "VpcOnly"})
        )
        == []
    )
    assert findings("compute-private-ml-workspace", res(domain, "d", {}))


@pytest.mark.parametrize(
    ("options", "bad"),
    [
        ({"httpTokens": "required", "httpPutResponseHopLimit": 1}, False),
        ({"httpTokens": "required", "httpPutResponseHopLimit": 2}, True),
        ({"httpTokens": "optional", "httpPutResponseHopLimit": 1}, True),
        ({"httpTokens": "required"}, True),  # EC2's default hop limit for EKS templates is 2
    ],
)
def test_imds_hop_limit(options, bad):
    lt = res("aws:ec2/launchTemplate:LaunchTemplate", "lt", {"metadataOptions": options})
    assert bool(findings("compute-imds-hop-limit", lt)) is bad


@pytest.mark.parametrize(
    ("inputs", "problems"),
    [
        (
            {
                "binaryAuthorization": {"evaluationMode": "PROJECT_SINGLETON_POLICY_ENFORCE"},
                "enableIntranodeVisibility": True,
            },
            0,
        ),
        ({"enableIntranodeVisibility": True}, 1),
        ({"binaryAuthorization": {"evaluationMode": "DISABLED"}}, 2),
    ],
)
def test_gke_binary_authorization_and_intranode_visibility(inputs, problems):
    assert len(findings("compute-gke-binauthz-intranode", res(GKE, "gke", inputs))) == problems


def test_vpc_flow_logs():
    vpc = res("aws:ec2/vpc:Vpc", "vpc", {"cidrBlock": "10.0.0.0/16"})
    log = res("aws:ec2/flowLog:FlowLog", "log", {"vpcId": "vpc-id", "trafficType": "ALL"})
    assert findings("compute-vpc-flow-logs", vpc, log) == []
    assert findings("compute-vpc-flow-logs", vpc) == ["Vpc 'vpc' has no flow log (aws.ec2.FlowLog)"]
