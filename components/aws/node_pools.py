"""EKS managed node groups from the spec's node pools: instance types, capacity, taints, labels."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

import pulumi
import pulumi_aws as aws

from components.aws.interconnect import EFA_INTERFACES, efa_interfaces
from components.spec import NodePool
from cost.catalog import get_catalog

IMDS_HOP_LIMIT = 1
"""Instance metadata reachable from the node itself only (a pod is a second hop)."""

DEFAULT_CPU_INSTANCE_TYPE = "m6i.xlarge"
GPU_AMI_TYPE = "AL2023_x86_64_NVIDIA"
CPU_AMI_TYPE = "AL2023_x86_64_STANDARD"
GPU_TAINT = {"key": "nvidia.com/gpu", "value": "present", "effect": "NO_SCHEDULE"}
LABEL_ACCELERATOR = "pioneer.dev/accelerator"
LABEL_CAPACITY = "pioneer.dev/capacity"
LABEL_POOL = "pioneer.dev/pool"


@dataclass(frozen=True)
class NodeGroupPlan:
    """What one node pool becomes on EKS (pure data; `NodePoolGroup` creates it)."""

    pool: str
    instance_types: tuple[str, ...]
    capacity_type: str
    """``SPOT`` or ``ON_DEMAND``."""
    ami_type: str
    min_size: int
    desired_size: int
    max_size: int
    labels: dict[str, str]
    taints: tuple[dict[str, str], ...]
    disk_size_gb: int
    gpus_per_node: int = 0
    efa_interfaces: int = 0
    """EFA interfaces per node (multi-node pools of EFA types; 0: none)."""


def instance_types_for(pool: NodePool, region: str) -> tuple[str, ...]:
    """The pool's instance types: an explicit ``instance_type`` wins; otherwise the catalog's.

    GPU spot pools list every catalog type with the same accelerator and count
    (cheapest first) so EKS can draw on several spot capacity pools; on-demand
    pools take the cheapest one. CPU pools default to `DEFAULT_CPU_INSTANCE_TYPE`.
    """
    if pool.instance_type:
        return (pool.instance_type,)
    if not pool.is_gpu:
        return (DEFAULT_CPU_INSTANCE_TYPE,)
    types = get_catalog().instance_types(
        "aws", region, pool.accelerator or "", pool.accelerators_per_node
    )
    return tuple(types) if pool.spot else (types[0],)


def plan_node_group(pool: NodePool, region: str) -> NodeGroupPlan | None:
    """The node group for `pool`, or None for a pool with ``max_nodes: 0``.

    EKS requires a node group's max size to be at least 1. A pool declared with
    ``max_nodes: 0`` is treated as switched off and no node group is created:
    raising it to 1 would let an autoscaler start a node (for a GPU pool, dollars
    an hour) that the spec said must not exist.
    """
    if pool.max_nodes == 0:
        return None
    labels = {LABEL_POOL: pool.name, LABEL_CAPACITY: pool.capacity}
    if pool.accelerator:
        labels[LABEL_ACCELERATOR] = pool.accelerator
    types = instance_types_for(pool, region)
    if pool.max_nodes > 1 and any(t in EFA_INTERFACES for t in types):
        # One launch template serves every type: keep those with the first type's EFA cards.
        types = tuple(t for t in types if EFA_INTERFACES.get(t) == EFA_INTERFACES.get(types[0]))
    return NodeGroupPlan(
        pool=pool.name,
        instance_types=types,
        capacity_type="SPOT" if pool.spot else "ON_DEMAND",
        ami_type=GPU_AMI_TYPE if pool.is_gpu else CPU_AMI_TYPE,
        min_size=pool.min_nodes,
        desired_size=pool.initial_nodes,
        max_size=pool.max_nodes,
        labels=labels,
        taints=(dict(GPU_TAINT),) if pool.is_gpu else (),
        disk_size_gb=pool.disk_size_gb,
        gpus_per_node=pool.accelerators_per_node if pool.is_gpu else 0,
        # EFA matters only between nodes: a pool that can hold one node needs none.
        efa_interfaces=efa_interfaces(types) if pool.max_nodes > 1 else 0,
    )


@dataclass
class NodePoolGroupArgs:
    plan: NodeGroupPlan
    cluster_name: pulumi.Input[str]
    node_role_arn: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    """Private subnets only: nodes get no public address (EFA pools use the first only)."""
    cluster_name_literal: str = ""
    """The cluster's name as text: the autoscaler's discovery tag keys carry it."""
    security_group_ids: Sequence[pulumi.Input[str]] = ()
    """For EFA pools, whose interfaces the launch template defines: the cluster's and the
    workloads' groups (EKS attaches its cluster group only when it creates the interfaces)."""
    tags: dict[str, str] = field(default_factory=dict)
    instance_tags: dict[str, str] = field(default_factory=dict)
    """Tags for the EC2 instances and volumes the group starts. The provider's default
    tags never reach them, so this is the full set (spec tags, stack, component, pool)."""


class NodePoolGroup(pulumi.ComponentResource):
    """A launch template (IMDSv2, encrypted gp3 root disk) and the managed node group using it."""

    node_group: aws.eks.NodeGroup
    node_group_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: NodePoolGroupArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("pioneer:aws:NodePoolGroup", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        plan = args.plan
        efa = plan.efa_interfaces
        placement = None
        if efa:
            # EFA needs the nodes close together: a cluster placement group, in one zone.
            group = aws.ec2.PlacementGroup(
                f"{name}-placement", strategy="cluster", tags=args.tags, opts=child
            )
            placement = aws.ec2.LaunchTemplatePlacementArgs(group_name=group.name)
        template = aws.ec2.LaunchTemplate(
            f"{name}-lt",
            description=f"pioneer node pool {plan.pool}",
            # IMDSv2 only, hop limit 1: pods get credentials from EKS Pod Identity, so none
            # needs the node's instance role (a container is one hop further away).
            metadata_options=aws.ec2.LaunchTemplateMetadataOptionsArgs(
                http_endpoint="enabled",
                http_tokens="required",
                http_put_response_hop_limit=IMDS_HOP_LIMIT,
            ),
            block_device_mappings=[
                aws.ec2.LaunchTemplateBlockDeviceMappingArgs(
                    device_name="/dev/xvda",
                    ebs=aws.ec2.LaunchTemplateBlockDeviceMappingEbsArgs(
                        volume_size=plan.disk_size_gb,
                        volume_type="gp3",
                        encrypted="true",
                        delete_on_termination="true",
                    ),
                )
            ],
            tag_specifications=[
                aws.ec2.LaunchTemplateTagSpecificationArgs(
                    resource_type=kind, tags=args.instance_tags
                )
                for kind in ("instance", "volume")
            ],
            # One EFA interface per network card; card 0 also carries the node's IP traffic.
            network_interfaces=[
                aws.ec2.LaunchTemplateNetworkInterfaceArgs(
                    network_card_index=card,
                    device_index=0 if card == 0 else 1,
                    interface_type="efa" if card == 0 else "efa-only",
                    security_groups=list(args.security_group_ids),
                    delete_on_termination="true",
                )
                for card in range(efa)
            ]
            or None,
            placement=placement,
            update_default_version=True,
            tags=args.tags,
            opts=child,
        )
        self.node_group = aws.eks.NodeGroup(
            f"{name}-ng",
            cluster_name=args.cluster_name,
            node_role_arn=args.node_role_arn,
            subnet_ids=list(args.subnet_ids)[:1] if efa else list(args.subnet_ids),
            instance_types=list(plan.instance_types),
            capacity_type=plan.capacity_type,
            ami_type=plan.ami_type,
            scaling_config=aws.eks.NodeGroupScalingConfigArgs(
                min_size=plan.min_size, desired_size=plan.desired_size, max_size=plan.max_size
            ),
            update_config=aws.eks.NodeGroupUpdateConfigArgs(max_unavailable=1),
            labels=plan.labels,
            taints=[aws.eks.NodeGroupTaintArgs(**t) for t in plan.taints],
            launch_template=aws.eks.NodeGroupLaunchTemplateArgs(
                id=template.id, version=template.latest_version.apply(str)
            ),
            tags=args.tags,
            # The cluster autoscaler owns the live size; Pulumi must not reset it on each update.
            opts=pulumi.ResourceOptions(parent=self, ignore_changes=["scalingConfig.desiredSize"]),
        )
        self.node_group_name = self.node_group.node_group_name
        self._tag_auto_scaling_group(name, args)
        self.register_outputs({"node_group_name": self.node_group_name})

    def _tag_auto_scaling_group(self, name: str, args: NodePoolGroupArgs) -> None:
        """Scale-from-zero templates on the group's ASG (EKS does not copy node-group tags)."""
        from components.aws.autoscaler import discovery_tags, node_template_tags

        plan = args.plan
        tags = node_template_tags(plan, gpus=plan.gpus_per_node, efa=plan.efa_interfaces)
        if args.cluster_name_literal:
            tags.update(discovery_tags(args.cluster_name_literal))
        asg = self.node_group.resources.apply(
            lambda r: r[0].autoscaling_groups[0].name  # type: ignore[index]  # EKS creates one ASG
        )
        for i, (key, value) in enumerate(sorted(tags.items())):
            aws.autoscaling.Tag(
                f"{name}-asg-tag-{i}",
                autoscaling_group_name=asg,
                tag=aws.autoscaling.TagTagArgs(key=key, value=value, propagate_at_launch=False),
                opts=pulumi.ResourceOptions(parent=self),
            )


def describe(plan: NodeGroupPlan | None, pool: NodePool, region: str) -> dict[str, Any]:
    """The pool as the ``node_pools`` stack output lists it."""
    return {
        "name": pool.name,
        "capacity": pool.capacity,
        "capacity_type": "SPOT" if pool.spot else "ON_DEMAND",
        "accelerator": pool.accelerator,
        "accelerators_per_node": pool.accelerators_per_node,
        "instance_types": list(plan.instance_types if plan else instance_types_for(pool, region)),
        "min_nodes": pool.min_nodes,
        "max_nodes": pool.max_nodes,
        "enabled": plan is not None,
        # Multi-node jobs on this pool request these devices (training/backends/kubernetes.py).
        "efa_interfaces": plan.efa_interfaces if plan else 0,
    }
