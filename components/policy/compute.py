"""Compute rules: private nodes, encrypted Kubernetes secrets, no local cluster accounts,
GPU pools tainted so only GPU workloads land on them."""

from __future__ import annotations

import re
from collections.abc import Iterator
from typing import Any

from components.policy.model import (
    Finding,
    Resource,
    Rule,
    Stack,
    as_bool,
    as_list,
    as_map,
    as_number,
    each,
    get,
    identifiers,
    is_unknown,
    short,
)

EKS_CLUSTER = "aws:eks/cluster:Cluster"
EKS_NODE_GROUP = "aws:eks/nodeGroup:NodeGroup"
AWS_SUBNET = "aws:ec2/subnet:Subnet"
AWS_LAUNCH_TEMPLATE = "aws:ec2/launchTemplate:LaunchTemplate"
AWS_VPC = "aws:ec2/vpc:Vpc"
AWS_FLOW_LOG = "aws:ec2/flowLog:FlowLog"
GKE_CLUSTER = "gcp:container/cluster:Cluster"
GKE_NODE_POOL = "gcp:container/nodePool:NodePool"
GCE_INSTANCES = ("gcp:compute/instance:Instance", "gcp:compute/instanceTemplate:InstanceTemplate")
AKS_CLUSTER = "azure-native:containerservice:ManagedCluster"
AKS_AGENT_POOL = "azure-native:containerservice:AgentPool"
AML_COMPUTE = "azure-native:machinelearningservices:Compute"
AML_WORKSPACE = "azure-native:machinelearningservices:Workspace"
SAGEMAKER_DOMAIN = "aws:sagemaker/domain:Domain"

GPU_TAINT_KEY = "nvidia.com/gpu"
AWS_GPU_INSTANCE = re.compile(r"^(p\d+[a-z]*|g\d+[a-z]*|gr\d+)\.", re.I)
GCP_GPU_MACHINE = re.compile(r"^(a2|a3|a4|g2|g4)-", re.I)
AZURE_GPU_VM = re.compile(r"^Standard_N", re.I)


# ---- compute-no-public-node-ips -------------------------------------------------------------


def _public_node_ips(r: Resource) -> Iterator[str]:
    if r.type == AWS_LAUNCH_TEMPLATE:
        for nic in each(as_list(r.get("networkInterfaces"))):
            if as_bool(nic.get("associatePublicIpAddress")) is True:
                yield f"{short(r)} gives instances a public IP (associatePublicIpAddress)"
    elif r.type == AKS_AGENT_POOL and as_bool(r.get("enableNodePublicIP")) is True:
        yield f"{short(r)} gives every node a public IP (enableNodePublicIP)"
    elif r.type == AKS_CLUSTER:
        for pool in each(as_list(r.get("agentPoolProfiles"))):
            if as_bool(pool.get("enableNodePublicIP")) is True:
                yield f"{short(r)} agent pool {pool.get('name')!r} gives nodes public IPs"
    elif r.type == AML_COMPUTE and get(r.inputs, "properties.computeType") == "AmlCompute":
        if as_bool(get(r.inputs, "properties.properties.enableNodePublicIp")) is not False:
            yield (
                f"{short(r)} does not set enableNodePublicIp=false (Azure's default gives "
                "every compute node a public IP)"
            )
    elif (
        r.type == GKE_NODE_POOL
        and as_bool(get(r.inputs, "networkConfig.enablePrivateNodes")) is False
    ):
        yield f"{short(r)} turns private nodes off (networkConfig.enablePrivateNodes=false)"
    elif r.type in GCE_INSTANCES:
        for nic in each(as_list(r.get("networkInterfaces"))):
            if as_list(nic.get("accessConfigs")):
                yield f"{short(r)} has an external IP (networkInterfaces[].accessConfigs)"


def _node_subnets_private(stack: Stack) -> Iterator[Finding]:
    """AWS: every subnet an EKS node group launches into must not map public IPs."""
    subnets = stack.of_type(AWS_SUBNET)
    reported: set[str] = set()
    for group in stack.of_type(EKS_NODE_GROUP):
        listed = as_list(group.get("subnetIds"))
        ids = {s for s in listed if isinstance(s, str) and not is_unknown(s)}
        # In a real preview the subnet ids are unknown; the recorded dependency is the link then.
        unresolved = len(ids) < len(listed) or not listed
        for subnet in subnets:
            used = bool(ids & identifiers(subnet)) or (
                unresolved and subnet.urn in group.dependencies
            )
            if (
                used
                and as_bool(subnet.get("mapPublicIpOnLaunch")) is True
                and subnet.urn not in reported
            ):
                reported.add(subnet.urn)
                yield Finding(
                    subnet.urn,
                    f"{short(subnet)} maps public IPs on launch and node group "
                    f"{group.name!r} runs in it",
                )


NO_PUBLIC_NODE_IPS = Rule(
    id="compute-no-public-node-ips",
    severity="mandatory",
    area="compute",
    description="Nodes get no public IPs: EKS node subnets do not map public IPs, AKS and Azure ML "
    "nodes have no public IP, GKE node pools keep private nodes.",
    fix="AWS: node groups in private subnets (map_public_ip_on_launch=False) behind NAT; AKS: "
    "enable_node_public_ip=False; AmlCompute: enable_node_public_ip=False with a subnet; GCE: "
    "no access_configs.",
    types=frozenset(
        (
            AWS_LAUNCH_TEMPLATE,
            AKS_AGENT_POOL,
            AKS_CLUSTER,
            AML_COMPUTE,
            GKE_NODE_POOL,
            *GCE_INSTANCES,
        )
    ),
    check_resource=_public_node_ips,
    check_stack=_node_subnets_private,
)


def _gke_private_nodes(r: Resource) -> Iterator[str]:
    private = as_bool(get(r.inputs, "privateClusterConfig.enablePrivateNodes"))
    if (
        private is not True
        and as_bool(get(r.inputs, "networkConfig.enablePrivateNodes")) is not True
    ):
        yield f"{short(r)} does not enable private nodes (privateClusterConfig.enablePrivateNodes)"


GKE_PRIVATE_NODES = Rule(
    id="compute-gke-private-nodes",
    severity="mandatory",
    area="compute",
    description="GKE clusters are private: nodes have internal IPs only.",
    fix="private_cluster_config=ClusterPrivateClusterConfigArgs(enable_private_nodes=True, "
    "master_ipv4_cidr_block=...) and Cloud NAT for egress.",
    types=frozenset({GKE_CLUSTER}),
    check_resource=_gke_private_nodes,
)


def _eks_secrets(r: Resource) -> Iterator[str]:
    config = as_map(r.get("encryptionConfig"))
    if "secrets" not in as_list(config.get("resources")) or not get(config, "provider.keyArn"):
        yield f"{short(r)} does not encrypt Kubernetes secrets with a KMS key (encryptionConfig)"


EKS_SECRETS_ENCRYPTION = Rule(
    id="compute-eks-secrets-encryption",
    severity="mandatory",
    area="compute",
    description="EKS envelope-encrypts Kubernetes secrets with the platform's KMS key.",
    fix="encryption_config=ClusterEncryptionConfigArgs(resources=['secrets'], "
    "provider=ClusterEncryptionConfigProviderArgs(key_arn=key.arn)).",
    types=frozenset({EKS_CLUSTER}),
    check_resource=_eks_secrets,
)


def _gke_secrets(r: Resource) -> Iterator[str]:
    if get(r.inputs, "databaseEncryption.state") != "ENCRYPTED":
        yield f"{short(r)} keeps etcd secrets under Google-managed keys only (databaseEncryption)"


GKE_SECRETS_ENCRYPTION = Rule(
    id="compute-gke-secrets-encryption",
    severity="advisory",
    area="compute",
    description="GKE application-layer secrets encryption with a Cloud KMS key.",
    fix="database_encryption=ClusterDatabaseEncryptionArgs(state='ENCRYPTED', key_name=key.id).",
    types=frozenset({GKE_CLUSTER}),
    check_resource=_gke_secrets,
)


def _aks_local_accounts(r: Resource) -> Iterator[str]:
    if as_bool(r.get("disableLocalAccounts")) is not True:
        yield f"{short(r)} keeps local accounts (a static cluster-admin kubeconfig); set disableLocalAccounts"


AKS_LOCAL_ACCOUNTS = Rule(
    id="compute-aks-local-accounts-disabled",
    severity="mandatory",
    area="compute",
    description="AKS clusters accept Entra ID identities only: local accounts disabled.",
    fix="disable_local_accounts=True with aad_profile=ManagedClusterAADProfileArgs(managed=True, "
    "enable_azure_rbac=True).",
    types=frozenset({AKS_CLUSTER}),
    check_resource=_aks_local_accounts,
)


# ---- compute-gpu-taint ----------------------------------------------------------------------


def is_gpu_pool(r: Resource) -> bool:
    """Does this node pool/group carry NVIDIA GPUs (from its AMI, instance, machine or VM type)?"""
    if r.type == EKS_NODE_GROUP:
        ami = str(r.get("amiType") or "").upper()
        return (
            "GPU" in ami
            or "NVIDIA" in ami
            or any(AWS_GPU_INSTANCE.match(str(t)) for t in as_list(r.get("instanceTypes")))
        )
    if r.type == GKE_NODE_POOL:
        return bool(as_list(get(r.inputs, "nodeConfig.guestAccelerators"))) or bool(
            GCP_GPU_MACHINE.match(str(get(r.inputs, "nodeConfig.machineType") or ""))
        )
    if r.type == AKS_AGENT_POOL:
        return bool(AZURE_GPU_VM.match(str(r.get("vmSize") or "")))
    return False


def _has_gpu_taint(taints: list, string_form: bool = False) -> bool:
    if string_form:  # AKS: "nvidia.com/gpu=present:NoSchedule"
        return any(
            isinstance(t, str)
            and t.split("=")[0].split(":")[0] == GPU_TAINT_KEY
            and t.endswith(":NoSchedule")
            for t in taints
        )
    return any(
        t.get("key") == GPU_TAINT_KEY
        and str(t.get("effect", "")).upper().replace("_", "") == "NOSCHEDULE"
        for t in each(taints)
    )


def _gpu_taint(r: Resource) -> Iterator[str]:
    if r.type == AKS_CLUSTER:
        for pool in each(as_list(r.get("agentPoolProfiles"))):
            if AZURE_GPU_VM.match(str(pool.get("vmSize") or "")) and not _has_gpu_taint(
                as_list(pool.get("nodeTaints")), string_form=True
            ):
                yield f"{short(r)} GPU agent pool {pool.get('name')!r} has no {GPU_TAINT_KEY} NoSchedule taint"
        return
    if not is_gpu_pool(r):
        return
    if r.type == EKS_NODE_GROUP:
        ok = _has_gpu_taint(as_list(r.get("taints")))
    elif r.type == GKE_NODE_POOL:
        ok = _has_gpu_taint(as_list(get(r.inputs, "nodeConfig.taints")))
    else:
        ok = _has_gpu_taint(as_list(r.get("nodeTaints")), string_form=True)
    if not ok:
        yield f"{short(r)} is a GPU pool without a {GPU_TAINT_KEY} NoSchedule taint"


GPU_TAINT = Rule(
    id="compute-gpu-taint",
    severity="mandatory",
    area="compute",
    description="GPU node pools carry a nvidia.com/gpu NoSchedule taint, so CPU pods cannot "
    "occupy (and keep alive) expensive GPU nodes.",
    fix="EKS/GKE: taints=[{key: 'nvidia.com/gpu', value: 'present', effect: 'NO_SCHEDULE'}]; "
    "AKS: node_taints=['nvidia.com/gpu=present:NoSchedule'].",
    types=frozenset({EKS_NODE_GROUP, GKE_NODE_POOL, AKS_AGENT_POOL, AKS_CLUSTER}),
    check_resource=_gpu_taint,
)


_ANYWHERE = {"0.0.0.0/0", "::/0"}


def _open(cidrs: list[Any]) -> str | None:
    """Why an endpoint limited to ``cidrs`` counts as open to the internet, else None."""
    if not cidrs:
        return "open to 0.0.0.0/0 (no authorized networks)"
    anywhere = sorted({str(c) for c in cidrs} & _ANYWHERE)
    return f"open to {', '.join(anywhere)}" if anywhere else None


def _private_endpoint(r: Resource) -> Iterator[str]:
    # Private-only, or public but limited to listed networks (cluster.authorized_cidrs).
    why: str | None = None
    if r.type == EKS_CLUSTER:
        if as_bool(get(r.inputs, "vpcConfig.endpointPublicAccess")) is not False:
            why = _open(as_list(get(r.inputs, "vpcConfig.publicAccessCidrs")))
    elif r.type == GKE_CLUSTER:
        if as_bool(get(r.inputs, "privateClusterConfig.enablePrivateEndpoint")) is not True:
            blocks = as_list(get(r.inputs, "masterAuthorizedNetworksConfig.cidrBlocks"))
            why = _open([b.get("cidrBlock") for b in blocks if isinstance(b, dict)])
    elif (
        r.type == AKS_CLUSTER
        and as_bool(get(r.inputs, "apiServerAccessProfile.enablePrivateCluster")) is not True
    ):
        why = _open(as_list(get(r.inputs, "apiServerAccessProfile.authorizedIPRanges")))
    if why:
        yield f"{short(r)} has a public API endpoint {why}"


PRIVATE_ENDPOINT = Rule(
    id="compute-private-endpoint",
    severity="advisory",
    area="compute",
    description="The Kubernetes API is reachable only from inside the network, or from the "
    "listed networks (spec: cluster.private_endpoint, cluster.authorized_cidrs).",
    fix="Set cluster.private_endpoint: true in the stack config, or restrict "
    "cluster.authorized_cidrs to your office/VPN ranges.",
    types=frozenset({EKS_CLUSTER, GKE_CLUSTER, AKS_CLUSTER}),
    check_resource=_private_endpoint,
)


def _private_ml_workspace(r: Resource) -> Iterator[str]:
    if r.type == AML_WORKSPACE and r.get("publicNetworkAccess", "Enabled") != "Disabled":
        yield f"{short(r)} is reachable from the internet (publicNetworkAccess)"
    elif (
        r.type == SAGEMAKER_DOMAIN
        and r.get("appNetworkAccessType", "PublicInternetOnly") != "VpcOnly"
    ):
        yield f"{short(r)} gives Studio apps direct internet access (appNetworkAccessType)"


PRIVATE_ML_WORKSPACE = Rule(
    id="compute-private-ml-workspace",
    severity="advisory",
    area="compute",
    description="Managed ML workspaces stay on the private network: Azure ML public network "
    "access disabled, SageMaker Studio domains VPC-only (spec: mlops.public_network_access).",
    fix="Azure: public_network_access='Disabled' (mlops.public_network_access: false); "
    "SageMaker: app_network_access_type='VpcOnly'.",
    types=frozenset({AML_WORKSPACE, SAGEMAKER_DOMAIN}),
    check_resource=_private_ml_workspace,
)


def _imds_hop_limit(r: Resource) -> Iterator[str]:
    options = as_map(r.get("metadataOptions"))
    hops = options.get("httpPutResponseHopLimit")
    limit = as_number(hops)
    if options.get("httpTokens") != "required":
        yield f"{short(r)} allows IMDSv1 (metadataOptions.httpTokens is not 'required')"
    if limit is None or limit > 1:
        yield (
            f"{short(r)} lets containers reach the node's instance metadata "
            f"(metadataOptions.httpPutResponseHopLimit={hops if hops is not None else 'unset'})"
        )


IMDS_HOP_LIMIT = Rule(
    id="compute-imds-hop-limit",
    severity="mandatory",
    area="compute",
    description="EKS node launch templates require IMDSv2 with a hop limit of 1, so pods "
    "cannot take the node's instance role (they get credentials from EKS Pod Identity).",
    fix="metadata_options: http_tokens='required', http_put_response_hop_limit=1.",
    types=frozenset({AWS_LAUNCH_TEMPLATE}),
    check_resource=_imds_hop_limit,
)


def _gke_hardening(r: Resource) -> Iterator[str]:
    mode = get(r.inputs, "binaryAuthorization.evaluationMode")
    if (
        mode in (None, "DISABLED")
        and as_bool(get(r.inputs, "binaryAuthorization.enabled")) is not True
    ):
        yield f"{short(r)} admits any image (binaryAuthorization is off)"
    if as_bool(r.get("enableIntranodeVisibility")) is not True:
        yield f"{short(r)} hides pod-to-pod traffic on a node from the VPC (enableIntranodeVisibility)"


GKE_HARDENING = Rule(
    id="compute-gke-binauthz-intranode",
    severity="mandatory",
    area="compute",
    description="GKE clusters enforce the project's Binary Authorization policy and route "
    "same-node pod traffic through the VPC (intranode visibility), so flow logs and firewall "
    "rules see it.",
    fix="binary_authorization.evaluation_mode='PROJECT_SINGLETON_POLICY_ENFORCE', "
    "enable_intranode_visibility=True.",
    types=frozenset({GKE_CLUSTER}),
    check_resource=_gke_hardening,
)


def _vpc_flow_logs(stack: Stack) -> Iterator[Finding]:
    """AWS: every VPC has a flow log (matched by id, or by dependency while ids are unknown)."""
    logs = stack.of_type(AWS_FLOW_LOG)
    for vpc in stack.of_type(AWS_VPC):
        if not any(
            (log.get("vpcId") in identifiers(vpc)) or vpc.urn in log.dependencies for log in logs
        ):
            yield Finding(vpc.urn, f"{short(vpc)} has no flow log (aws.ec2.FlowLog)")


VPC_FLOW_LOGS = Rule(
    id="compute-vpc-flow-logs",
    severity="mandatory",
    area="compute",
    description="Every AWS VPC records its traffic (VPC Flow Logs), kept as an audit log.",
    fix="An aws.ec2.FlowLog with traffic_type='ALL' for the VPC, to a log group kept 365 days.",
    check_stack=_vpc_flow_logs,
)

# ---- compute-multi-node-interconnect --------------------------------------------------------

# EFA-capable GPU families (components/aws/interconnect.py EFA_INTERFACES; repeated as a
# pattern here because the policy pack's venv cannot import the AWS components).
EFA_INSTANCE = re.compile(r"^(p4d|p4de|p5|p5e|p5en)\.")
# Fabrics pioneer does not provision (cost/scaling.py NOT_PROVISIONED): reported, not failed.
UNPROVISIONED_FABRIC = re.compile(r"^(a3-(high|mega|ultra)gpu|Standard_ND96)")


def _max_nodes(r: Resource) -> int:
    for path in ("scalingConfig.maxSize", "autoscaling.totalMaxNodeCount",
                 "autoscaling.maxNodeCount", "maxCount", "count"):  # fmt: skip
        value = get(r.inputs, path)
        if isinstance(value, int | float):
            return int(value)
    return 1


def _efa_missing(stack: Stack) -> Iterator[Finding]:
    """An EKS group of EFA instance types that can hold 2+ nodes launches with EFA interfaces."""
    templates = {t.id: t for t in stack.of_type(AWS_LAUNCH_TEMPLATE) if t.id}
    for group in stack.of_type(EKS_NODE_GROUP):
        types = [t for t in as_list(group.get("instanceTypes")) if isinstance(t, str)]
        if not types or not all(EFA_INSTANCE.match(t) for t in types) or _max_nodes(group) < 2:
            continue
        lt_id = get(group.inputs, "launchTemplate.id")
        if is_unknown(lt_id):
            continue
        lt = templates.get(lt_id)
        if lt is None:  # the template's id is not in this view of the plan: cannot decide
            continue
        nics = each(as_list(lt.get("networkInterfaces")))
        if not any(n.get("interfaceType") == "efa" for n in nics):
            yield Finding(
                group.urn,
                f"{short(group)} runs {', '.join(types)} across up to {_max_nodes(group)} nodes "
                "without EFA interfaces: all-reduce would use the ENA network at a fraction of "
                "the modelled bandwidth",
            )


def _fabric_not_provisioned(r: Resource) -> Iterator[str]:
    machine = get(r.inputs, "nodeConfig.machineType") or r.get("vmSize") or ""
    if isinstance(machine, str) and UNPROVISIONED_FABRIC.match(machine) and _max_nodes(r) > 1:
        yield (
            f"{short(r)} ({machine}) can hold several nodes but its RDMA fabric (GPUDirect-TCPX/"
            "RDMA on GCP, InfiniBand on Azure) is not provisioned: multi-node jobs use the host "
            "NIC, and `pioneer optimize` prices them at that bandwidth"
        )


MULTI_NODE_EFA = Rule(
    id="compute-multi-node-efa",
    severity="mandatory",
    area="compute",
    description="EKS node groups of EFA instance types (p4d, p5) that can hold two or more nodes "
    "attach EFA on every network card (the bandwidth the scaling model prices).",
    fix="Launch template network_interfaces with interface_type='efa' (card 0) and 'efa-only' "
    "on the other cards, a cluster placement group, the EFA device plugin.",
    check_stack=_efa_missing,
)
FABRIC_NOT_PROVISIONED = Rule(
    id="compute-fabric-not-provisioned",
    severity="advisory",
    area="compute",
    description="Multi-node GKE A3 and AKS ND96 pools: the RDMA fabric is not provisioned, so "
    "multi-node jobs run at host-NIC bandwidth.",
    fix="Keep such jobs on one node, or provision GPUDirect-TCPX/RDMA networks (GKE) or the "
    "NVIDIA Network Operator (AKS) outside pioneer; the optimizer already prices the slower link.",
    types=frozenset({GKE_NODE_POOL, AKS_AGENT_POOL}),
    check_resource=_fabric_not_provisioned,
)


RULES: tuple[Rule, ...] = (
    NO_PUBLIC_NODE_IPS,
    GKE_PRIVATE_NODES,
    EKS_SECRETS_ENCRYPTION,
    GKE_SECRETS_ENCRYPTION,
    AKS_LOCAL_ACCOUNTS,
    GPU_TAINT,
    PRIVATE_ENDPOINT,
    PRIVATE_ML_WORKSPACE,
    IMDS_HOP_LIMIT,
    GKE_HARDENING,
    VPC_FLOW_LOGS,
    MULTI_NODE_EFA,
    FABRIC_NOT_PROVISIONED,
)
