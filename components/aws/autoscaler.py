"""The EKS cluster autoscaler: scales each pioneer node group from zero when a pod needs it.

EKS managed node groups have no autoscaler of their own; GKE and AKS pools do.
pioneer runs the Kubernetes cluster autoscaler with node-group auto-discovery
(not Karpenter) because the pools already are managed node groups that the
spec bounds (`min_nodes`..`max_nodes`), the cost model prices and the policy
rules check: the autoscaler moves each group's desired size inside exactly
those bounds. Karpenter would launch instances from its own NodePools beside
them, a second description of capacity to keep in step with the spec.

Scaling from zero needs to know what a node of the group would look like
before one exists: its labels, taints and extended resources (GPUs, EFA
devices). The autoscaler reads them from `k8s.io/cluster-autoscaler/
node-template/...` tags on the group's Auto Scaling group; EKS does not copy
node-group tags to the ASG, so each tag is an `aws.autoscaling.Tag` on it.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import pulumi
import pulumi_aws as aws

from components.k8s.addons import HelmChart

if TYPE_CHECKING:  # node_pools imports this module to tag its groups
    from components.aws.node_pools import NodeGroupPlan

CHART = ("https://kubernetes.github.io/autoscaler", "cluster-autoscaler", "9.43.2")
NAMESPACE = "kube-system"
SERVICE_ACCOUNT = "cluster-autoscaler"
TEMPLATE = "k8s.io/cluster-autoscaler/node-template"
# Taint effects: EKS API spelling -> Kubernetes spelling (what the tag value carries).
EFFECTS = {"NO_SCHEDULE": "NoSchedule", "NO_EXECUTE": "NoExecute",
           "PREFER_NO_SCHEDULE": "PreferNoSchedule"}  # fmt: skip


def discovery_tags(cluster_name: str) -> dict[str, str]:
    """The tags `--node-group-auto-discovery` looks for (EKS puts them on managed groups' ASGs)."""
    return {"k8s.io/cluster-autoscaler/enabled": "true",
            f"k8s.io/cluster-autoscaler/{cluster_name}": "owned"}  # fmt: skip


def node_template_tags(plan: NodeGroupPlan, gpus: int = 0, efa: int = 0) -> dict[str, str]:
    """What a node of `plan` looks like before it exists: labels, taints, extended resources."""
    tags = {f"{TEMPLATE}/label/{k}": v for k, v in plan.labels.items()}
    # EKS labels every node with its capacity type; the spot job's node selector uses it.
    tags[f"{TEMPLATE}/label/eks.amazonaws.com/capacityType"] = plan.capacity_type
    for t in plan.taints:
        tags[f"{TEMPLATE}/taint/{t['key']}"] = f"{t['value']}:{EFFECTS[t['effect']]}"
    if gpus:
        tags[f"{TEMPLATE}/resources/nvidia.com/gpu"] = str(gpus)
    if efa:
        tags[f"{TEMPLATE}/resources/vpc.amazonaws.com/efa"] = str(efa)
    return tags


def template_node(tags: dict[str, str]) -> dict[str, Any]:
    """The node the autoscaler imagines from a group's template tags (labels, taints, resources)."""
    node: dict[str, Any] = {"labels": {}, "taints": [], "allocatable": {}}
    for key, value in tags.items():
        if not key.startswith(TEMPLATE + "/"):
            continue
        kind, _, name = key[len(TEMPLATE) + 1 :].partition("/")
        if kind == "label":
            node["labels"][name] = value
        elif kind == "taint":
            val, _, effect = value.partition(":")
            node["taints"].append({"key": name, "value": val, "effect": effect})
        elif kind == "resources":
            node["allocatable"][name] = int(value)
    return node


def policy_document(cluster_name: str) -> str:
    """Least privilege for the autoscaler (its documented AWS policy, scale actions scoped).

    The Describe/Get calls support no resource-level permissions; the two calls
    that change capacity are allowed only on groups tagged as this cluster's.
    """
    return json.dumps(
        {
            "Version": "2012-10-17",
            "Statement": [
                {
                    "Sid": "Discover",
                    "Effect": "Allow",
                    "Action": [
                        "autoscaling:DescribeAutoScalingGroups",
                        "autoscaling:DescribeAutoScalingInstances",
                        "autoscaling:DescribeLaunchConfigurations",
                        "autoscaling:DescribeScalingActivities",
                        "autoscaling:DescribeTags",
                        "ec2:DescribeImages",
                        "ec2:DescribeInstanceTypes",
                        "ec2:DescribeLaunchTemplateVersions",
                        "ec2:GetInstanceTypesFromInstanceRequirements",
                        "eks:DescribeNodegroup",
                    ],
                    "Resource": "*",
                },
                {
                    "Sid": "ScaleOwnGroups",
                    "Effect": "Allow",
                    "Action": [
                        "autoscaling:SetDesiredCapacity",
                        "autoscaling:TerminateInstanceInAutoScalingGroup",
                    ],
                    "Resource": "*",
                    "Condition": {
                        "StringEquals": {
                            f"aws:ResourceTag/k8s.io/cluster-autoscaler/{cluster_name}": "owned"
                        }
                    },
                },
            ],
        }
    )


def chart(cluster_name: str, region: str, kubernetes_version: pulumi.Input[str]) -> HelmChart:
    return HelmChart(
        "cluster-autoscaler", "cluster-autoscaler", CHART[1], CHART[2], NAMESPACE,
        repo=CHART[0], values=helm_values(cluster_name, region, kubernetes_version),
    )  # fmt: skip


def helm_values(
    cluster_name: str, region: str, kubernetes_version: pulumi.Input[str]
) -> dict[str, Any]:
    return {
        "autoDiscovery": {"clusterName": cluster_name},
        "awsRegion": region,
        # The autoscaler's minor version must match the cluster's (EKS reports it).
        "image": {
            "tag": pulumi.Output.from_input(kubernetes_version).apply(lambda v: f"v{v}.0")
        },
        "rbac": {"serviceAccount": {"create": True, "name": SERVICE_ACCOUNT}},
        "extraArgs": {
            "balance-similar-node-groups": "true",
            "expander": "least-waste",
            # GPU nodes cost dollars an hour: give them back after 10 idle minutes.
            "scale-down-unneeded-time": "10m",
            "skip-nodes-with-system-pods": "false",
        },
        # Run on the CPU system pool, never on a GPU node it might scale away.
        "affinity": {"nodeAffinity": {"requiredDuringSchedulingIgnoredDuringExecution": {
            "nodeSelectorTerms": [{"matchExpressions": [
                {"key": "pioneer.dev/accelerator", "operator": "DoesNotExist"}]}]}}},
    }  # fmt: skip


@dataclass
class ClusterAutoscalerArgs:
    cluster_name: pulumi.Input[str]
    """The EKS cluster whose node groups it scales (auto-discovered by tag)."""
    cluster_name_literal: str
    """The same name as plain text: the tag keys and policy condition are built from it."""
    tags: dict[str, str] = field(default_factory=dict)


class ClusterAutoscaler(pulumi.ComponentResource):
    """IAM role bound by EKS Pod Identity to `kube-system/cluster-autoscaler`.

    The Helm release is `chart()`: it talks to the Kubernetes API, so the cluster add-ons
    install it (in this stack or the add-ons stack, `components.k8s.stage`)."""

    role_arn: pulumi.Output[str]

    def __init__(
        self, name: str, args: ClusterAutoscalerArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("pioneer:aws:ClusterAutoscaler", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        role = aws.iam.Role(
            f"{name}-role",
            description="cluster autoscaler: scale this cluster's node groups",
            assume_role_policy=json.dumps(
                {
                    "Version": "2012-10-17",
                    "Statement": [
                        {
                            "Effect": "Allow",
                            "Principal": {"Service": "pods.eks.amazonaws.com"},
                            "Action": ["sts:AssumeRole", "sts:TagSession"],
                        }
                    ],
                }
            ),  # fmt: skip
            tags=args.tags,
            opts=child,
        )
        aws.iam.RolePolicy(
            f"{name}-policy", role=role.id,
            policy=policy_document(args.cluster_name_literal), opts=child,
        )  # fmt: skip
        association = aws.eks.PodIdentityAssociation(
            f"{name}-identity",
            cluster_name=args.cluster_name,
            namespace=NAMESPACE,
            service_account=SERVICE_ACCOUNT,
            role_arn=role.arn,
            tags=args.tags,
            opts=child,
        )
        self.association = association
        self.role_arn = role.arn
        self.register_outputs({"role_arn": self.role_arn})
