"""`GkeCluster`: a private, regional GKE cluster and one node pool per spec pool.

Private nodes (no public IPs), an optionally private control-plane endpoint,
authorized networks, workload identity, shielded nodes, Dataplane V2, and
Kubernetes secrets and node boot disks encrypted with the platform's KMS key.
GPU and TPU pools take their machine types from the catalog (see `node_pools`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from components.gcp import roles
from components.gcp.network import MAX_PODS_PER_NODE
from components.gcp.node_pools import GPU_DRIVER_VERSION, PoolPlan
from components.k8s.addons import WEBHOOK_PORTS

TRAINING_NAMESPACE = "training"
TRAINING_KSA = "trainer"
"""The Kubernetes service account (namespace/name) that acts as the training service account."""


def workload_pool(project: str) -> str:
    return f"{project}.svc.id.goog"


@dataclass
class GkeClusterArgs:
    project: str
    """The GCP project id (also names the workload-identity pool)."""
    region: str
    """A regional cluster in this region."""
    vpc_id: pulumi.Input[str]
    """The platform VPC."""
    subnet_id: pulumi.Input[str]
    """The node subnet (with the pods and services secondary ranges)."""
    pods_range_name: str
    """The subnet's secondary range for pod IPs."""
    services_range_name: str
    """The subnet's secondary range for service IPs."""
    nodes_cidr: str
    """The node subnet's range (always an authorised network of the control plane)."""
    master_cidr: str
    """The /28 the control plane's private endpoint uses."""
    node_service_account: pulumi.Input[str]
    """The minimal service account the nodes run as (never the default compute account)."""
    training_service_account_name: pulumi.Input[str]
    """The training service account the ``training/trainer`` pods act as."""
    kms_key_id: pulumi.Input[str]
    """The platform key: Kubernetes secrets and node boot disks."""
    pools: Sequence[PoolPlan] = ()
    """The spec's node pools, planned (`components.gcp.node_pools.plan_pool`)."""
    private_endpoint: bool = True
    """Control-plane endpoint reachable only from inside the network."""
    authorized_cidrs: list[str] = field(default_factory=list)
    """Networks allowed to reach the endpoint, besides the node subnet."""
    release_channel: str = "REGULAR"
    """GKE release channel."""
    kubernetes_version: str | None = None
    """Minimum control-plane version; None: the channel's default."""
    extended_support: bool = False
    """The version is past its end of standard support: the EXTENDED channel, whatever
    `release_channel` says (only that channel offers it)."""
    deletion_protection: bool = True
    """GKE's own deletion protection."""
    labels: dict[str, str] = field(default_factory=dict)
    """The platform labels (`components.gcp.tags.platform_labels`)."""
    depends_on: Sequence[pulumi.Resource] = ()
    """The APIs and the GKE/Compute agents' key grants."""


class GkeCluster(pulumi.ComponentResource):
    """The cluster, its node pools (keyed by spec pool name) and the workload-identity binding."""

    node_pools: dict[str, gcp.container.NodePool]
    plans: list[PoolPlan]

    def __init__(
        self,
        name: str,
        args: GkeClusterArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("pioneer:gcp:GkeCluster", name, {}, opts)
        labels, cl, depends_on = args.labels, args, args.depends_on
        kms_key_id, node_service_account = args.kms_key_id, args.node_service_account
        authorized = [
            gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                cidr_block=c, display_name=f"authorized-{i}"
            )
            for i, c in enumerate(cl.authorized_cidrs)
        ]
        # Machines in the node subnet (CI runners, bastions) may always reach the endpoint.
        authorized.append(
            gcp.container.ClusterMasterAuthorizedNetworksConfigCidrBlockArgs(
                cidr_block=args.nodes_cidr, display_name="node-subnet"
            )
        )
        self.cluster = gcp.container.Cluster(
            f"{name}-cluster",
            project=args.project,
            location=args.region,
            network=args.vpc_id,
            subnetwork=args.subnet_id,
            networking_mode="VPC_NATIVE",
            ip_allocation_policy=gcp.container.ClusterIpAllocationPolicyArgs(
                cluster_secondary_range_name=args.pods_range_name,
                services_secondary_range_name=args.services_range_name,
            ),
            default_max_pods_per_node=MAX_PODS_PER_NODE,
            private_cluster_config=gcp.container.ClusterPrivateClusterConfigArgs(
                enable_private_nodes=True,
                enable_private_endpoint=cl.private_endpoint,
                master_ipv4_cidr_block=args.master_cidr,
            ),
            master_authorized_networks_config=gcp.container.ClusterMasterAuthorizedNetworksConfigArgs(
                cidr_blocks=authorized
            ),
            workload_identity_config=gcp.container.ClusterWorkloadIdentityConfigArgs(
                workload_pool=workload_pool(args.project)
            ),
            enable_shielded_nodes=True,
            # Pod-to-pod traffic on one node goes through the VPC too (flow logs, firewall).
            enable_intranode_visibility=True,
            # Admission checks every image against the project's Binary Authorization policy.
            binary_authorization=gcp.container.ClusterBinaryAuthorizationArgs(
                evaluation_mode="PROJECT_SINGLETON_POLICY_ENFORCE"
            ),
            # Training pods mount the platform bucket for checkpoints (kubernetes backend).
            addons_config=gcp.container.ClusterAddonsConfigArgs(
                gcs_fuse_csi_driver_config=gcp.container.ClusterAddonsConfigGcsFuseCsiDriverConfigArgs(
                    enabled=True
                )
            ),
            release_channel=gcp.container.ClusterReleaseChannelArgs(
                channel="EXTENDED" if cl.extended_support else cl.release_channel
            ),
            min_master_version=cl.kubernetes_version,
            database_encryption=gcp.container.ClusterDatabaseEncryptionArgs(
                state="ENCRYPTED", key_name=kms_key_id
            ),
            datapath_provider="ADVANCED_DATAPATH",
            # The default pool is deleted right after creation; until then it too runs as
            # the node service account, never as the default compute account.
            remove_default_node_pool=True,
            initial_node_count=1,
            node_config=gcp.container.ClusterNodeConfigArgs(
                service_account=node_service_account,
                boot_disk_kms_key=kms_key_id,
                oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
                shielded_instance_config=gcp.container.ClusterNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
                workload_metadata_config=gcp.container.ClusterNodeConfigWorkloadMetadataConfigArgs(
                    mode="GKE_METADATA"
                ),
            ),
            deletion_protection=cl.deletion_protection,
            resource_labels=labels,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )

        # GKE's own control-plane firewall rule opens 443 and 10250 only: the add-ons'
        # admission webhooks (JobSet: 9443) would time out on every submission.
        self.webhook_firewall = gcp.compute.Firewall(
            f"{name}-webhooks",
            project=args.project,
            network=args.vpc_id,
            direction="INGRESS",
            source_ranges=[args.master_cidr],
            target_service_accounts=[node_service_account],
            allows=[
                gcp.compute.FirewallAllowArgs(
                    protocol="tcp", ports=[str(p) for p in sorted(set(WEBHOOK_PORTS.values()))]
                )
            ],
            description="control plane -> admission webhooks of the cluster add-ons",
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(depends_on)),
        )
        after_cluster = pulumi.ResourceOptions(parent=self, depends_on=[*depends_on, self.cluster])
        self.plans = list(args.pools)
        self.node_pools = {
            plan.name: self._node_pool(
                name, args, plan, node_service_account, kms_key_id, labels, after_cluster
            )
            for plan in self.plans
        }
        # Pods running as training/trainer act as the training account; the identity pool
        # exists only once the cluster does.
        self.workload_identity_binding = gcp.serviceaccount.IAMMember(
            f"{name}-train-workload-identity",
            service_account_id=args.training_service_account_name,
            role=roles.check_grant(roles.WORKLOAD_IDENTITY_USER, "service_account"),
            member=f"serviceAccount:{workload_pool(args.project)}"
            f"[{TRAINING_NAMESPACE}/{TRAINING_KSA}]",
            opts=after_cluster,
        )
        self.pool_outputs = [plan.output(self.node_pools[plan.name].name) for plan in self.plans]
        self.name = self.cluster.name
        self.endpoint = self.cluster.endpoint
        self.register_outputs(
            {
                "cluster_name": self.name,
                "cluster_endpoint": self.endpoint,
                "node_pools": self.pool_outputs,
            }
        )

    def _node_pool(
        self,
        name: str,
        args: GkeClusterArgs,
        plan: PoolPlan,
        service_account: pulumi.Input[str],
        kms_key_id: pulumi.Input[str],
        labels: dict[str, str],
        opts: pulumi.ResourceOptions,
    ) -> gcp.container.NodePool:
        accelerators = None
        if plan.gke_accelerator:
            accelerators = [
                gcp.container.NodePoolNodeConfigGuestAcceleratorArgs(
                    type=plan.gke_accelerator,
                    count=plan.accelerator_count,
                    gpu_driver_installation_config=gcp.container.NodePoolNodeConfigGuestAcceleratorGpuDriverInstallationConfigArgs(
                        gpu_driver_version=GPU_DRIVER_VERSION
                    ),
                )
            ]
        taints = None
        if plan.taint:
            key, value, effect = plan.taint
            taints = [
                gcp.container.NodePoolNodeConfigTaintArgs(key=key, value=value, effect=effect)
            ]
        autoscaling = None
        if plan.autoscaling is not None:
            lo, hi = plan.autoscaling
            autoscaling = gcp.container.NodePoolAutoscalingArgs(
                # Totals across zones (the spec counts nodes per pool, not per zone);
                # ANY lets spot pools take capacity in whichever zone has it.
                total_min_node_count=lo,
                total_max_node_count=hi,
                location_policy="ANY" if plan.capacity == "spot" else "BALANCED",
            )
        return gcp.container.NodePool(
            f"{name}-{plan.name}",
            project=args.project,
            location=args.region,
            node_locations=list(plan.zones) or None,
            cluster=self.cluster.name,
            autoscaling=autoscaling,
            node_count=plan.node_count,
            initial_node_count=plan.initial_node_count,
            management=gcp.container.NodePoolManagementArgs(auto_repair=True, auto_upgrade=True),
            placement_policy=gcp.container.NodePoolPlacementPolicyArgs(
                type="COMPACT", tpu_topology=plan.tpu_topology
            )
            if plan.tpu_topology
            else None,
            node_config=gcp.container.NodePoolNodeConfigArgs(
                machine_type=plan.machine_type,
                spot=plan.capacity == "spot",
                disk_size_gb=plan.disk_size_gb,
                disk_type="pd-balanced",
                boot_disk_kms_key=kms_key_id,
                service_account=service_account,
                oauth_scopes=["https://www.googleapis.com/auth/cloud-platform"],
                guest_accelerators=accelerators,
                taints=taints,
                labels=plan.k8s_labels,
                resource_labels={**labels, "pioneer-pool": plan.name},
                shielded_instance_config=gcp.container.NodePoolNodeConfigShieldedInstanceConfigArgs(
                    enable_secure_boot=True, enable_integrity_monitoring=True
                ),
                workload_metadata_config=gcp.container.NodePoolNodeConfigWorkloadMetadataConfigArgs(
                    mode="GKE_METADATA"
                ),
            ),
            opts=opts,
        )
