"""The EKS cluster: encrypted secrets, control-plane logs, private endpoint, one node group per pool."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.aws.iam_documents import kms_use_policy
from components.aws.identity import (
    EKS_CLUSTER_POLICIES,
    EKS_NODE_POLICIES,
    ServiceRole,
    ServiceRoleArgs,
)
from components.aws.kubeconfig import kubeconfig
from components.aws.node_pools import NodePoolGroup, NodePoolGroupArgs, plan_node_group
from components.spec import NodePool

CONTROL_PLANE_LOGS = ["api", "audit", "authenticator", "controllerManager", "scheduler"]
LOG_RETENTION_DAYS = 30


@dataclass
class EksClusterArgs:
    cluster_name: str
    region: str
    partition: str
    """ARN partition: ``aws``, or ``aws-us-gov`` in GovCloud."""
    kms_key_arn: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets for the control-plane network interfaces and the nodes."""
    node_pools: Sequence[NodePool]
    kubernetes_version: str | None = None
    extended_support: bool = False
    """The version is past its end of standard support (`cost.kubernetes_versions`)."""
    private_endpoint: bool = True
    """True: the API server is reachable only from inside the VPC."""
    authorized_cidrs: Sequence[str] = ()
    """With a public endpoint, the only CIDRs that may reach it."""
    vpc_cidr: str | None = None
    """With a private-only endpoint, the network the add-ons stack's runner sits in."""
    deletion_protection: bool = True
    workload_security_group_id: pulumi.Input[str] | None = None
    """The training jobs' group (all traffic between members): EFA pools' interfaces join it."""
    tags: dict[str, str] = field(default_factory=dict)
    instance_tags: dict[str, str] = field(default_factory=dict)
    """Full tag set for node instances and volumes (default tags do not reach them)."""


class EksCluster(pulumi.ComponentResource):
    """EKS control plane, its roles and log group, and the node groups of the spec's pools."""

    cluster: aws.eks.Cluster
    cluster_name: pulumi.Output[str]
    endpoint: pulumi.Output[str]
    kubeconfig: pulumi.Output[str]
    """Secret: JSON kubeconfig using ``aws eks get-token``."""
    node_role_arn: pulumi.Output[str]
    node_groups: dict[str, NodePoolGroup]
    """Pool name -> its node group (pools with ``max_nodes: 0`` have none)."""

    def __init__(self, name: str, args: EksClusterArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("pioneer:aws:EksCluster", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        cluster_role = ServiceRole(
            f"{name}-control-plane",
            ServiceRoleArgs(
                service="eks.amazonaws.com",
                description=f"EKS control plane of {args.cluster_name}",
                managed_policy_arns=[
                    a.format(partition=args.partition) for a in EKS_CLUSTER_POLICIES
                ],
                inline_policy=pulumi.Output.from_input(args.kms_key_arn).apply(
                    lambda k: kms_use_policy(k, grants=True)
                ),
                tags=args.tags,
            ),
            opts=child,
        )
        node_role = ServiceRole(
            f"{name}-node",
            ServiceRoleArgs(
                service="ec2.amazonaws.com",
                description=f"EKS nodes of {args.cluster_name}",
                managed_policy_arns=[a.format(partition=args.partition) for a in EKS_NODE_POLICIES],
                tags=args.tags,
            ),
            opts=child,
        )

        # EKS writes control-plane logs here; created first so it has a retention and our key.
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/aws/eks/{args.cluster_name}/cluster",
            retention_in_days=LOG_RETENTION_DAYS,
            kms_key_id=args.kms_key_arn,
            tags=args.tags,
            opts=child,
        )
        public = not args.private_endpoint
        self.cluster = aws.eks.Cluster(
            f"{name}-eks",
            name=args.cluster_name,
            version=args.kubernetes_version,
            role_arn=cluster_role.arn,
            vpc_config=aws.eks.ClusterVpcConfigArgs(
                subnet_ids=list(args.subnet_ids),
                endpoint_private_access=True,
                endpoint_public_access=public,
                public_access_cidrs=list(args.authorized_cidrs) if public else None,
            ),
            encryption_config=aws.eks.ClusterEncryptionConfigArgs(
                resources=["secrets"],
                provider=aws.eks.ClusterEncryptionConfigProviderArgs(key_arn=args.kms_key_arn),
            ),
            enabled_cluster_log_types=CONTROL_PLANE_LOGS,
            # Access entries (IAM -> Kubernetes) instead of the aws-auth ConfigMap.
            access_config=aws.eks.ClusterAccessConfigArgs(
                authentication_mode="API", bootstrap_cluster_creator_admin_permissions=True
            ),
            # Extended support costs six times as much per cluster hour: only when the pinned
            # version needs it (the spec warns); otherwise EKS upgrades at end of standard.
            upgrade_policy=aws.eks.ClusterUpgradePolicyArgs(
                support_type="EXTENDED" if args.extended_support else "STANDARD"
            ),
            deletion_protection=args.deletion_protection,
            tags=args.tags,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[log_group, cluster_role]),
        )

        if args.private_endpoint and args.vpc_cidr:
            # EKS's cluster security group admits only its own members: a private-only
            # endpoint needs 443 from the network `pulumi up` of the add-ons runs in
            # (EKS User Guide, "Cluster API server endpoint").
            aws.vpc.SecurityGroupIngressRule(
                f"{name}-api-from-vpc",
                security_group_id=self.cluster.vpc_config.cluster_security_group_id,
                cidr_ipv4=args.vpc_cidr,
                ip_protocol="tcp",
                from_port=443,
                to_port=443,
                description="Kubernetes API from inside the VPC (the add-ons stack's runner)",
                opts=child,
            )

        self.node_groups = {}
        for pool in args.node_pools:
            plan = plan_node_group(pool, args.region)
            if plan is None:
                pulumi.log.info(
                    f"node pool {pool.name!r} has max_nodes 0: no node group created", resource=self
                )
                continue
            self.node_groups[pool.name] = NodePoolGroup(
                f"{name}-{pool.name}",
                NodePoolGroupArgs(
                    plan=plan,
                    cluster_name=self.cluster.name,
                    cluster_name_literal=args.cluster_name,
                    node_role_arn=node_role.arn,
                    subnet_ids=args.subnet_ids,
                    security_group_ids=[
                        self.cluster.vpc_config.cluster_security_group_id,
                        *(
                            [args.workload_security_group_id]
                            if args.workload_security_group_id
                            else []
                        ),
                    ],
                    tags={**args.tags, "pioneer:pool": pool.name},
                    instance_tags={**args.instance_tags, "pioneer:pool": pool.name},
                ),
                opts=pulumi.ResourceOptions(parent=self, depends_on=[node_role]),
            )

        self.cluster_name = self.cluster.name
        self.endpoint = self.cluster.endpoint
        self.node_role_arn = node_role.arn
        self.kubeconfig = pulumi.Output.secret(
            pulumi.Output.all(
                self.cluster.name,
                self.cluster.endpoint,
                self.cluster.certificate_authority.data,
            ).apply(lambda a: kubeconfig(a[0], a[1], a[2], args.region))
        )
        self.register_outputs(
            {
                "cluster_name": self.cluster_name,
                "endpoint": self.endpoint,
                "kubeconfig": self.kubeconfig,
                "node_role_arn": self.node_role_arn,
            }
        )
