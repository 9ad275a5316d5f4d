"""IAM roles for AWS services: a trust policy for one service, managed and inline policies."""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.aws.iam_documents import Document, assume_role_policy

# AWS managed policies, by purpose. Node roles get exactly these three (EKS user guide,
# "Amazon EKS node IAM role"); the cluster role only the cluster policy.
EKS_CLUSTER_POLICIES = ("arn:{partition}:iam::aws:policy/AmazonEKSClusterPolicy",)
EKS_NODE_POLICIES = (
    "arn:{partition}:iam::aws:policy/AmazonEKSWorkerNodePolicy",
    "arn:{partition}:iam::aws:policy/AmazonEKS_CNI_Policy",
    "arn:{partition}:iam::aws:policy/AmazonEC2ContainerRegistryPullOnly",
)


@dataclass
class ServiceRoleArgs:
    service: str
    """Service principal allowed to assume the role, e.g. ``eks.amazonaws.com``."""
    description: str
    managed_policy_arns: Sequence[str] = ()
    """AWS managed policy ARNs to attach (one attachment resource each)."""
    inline_policy: pulumi.Input[Document] | None = None
    """A policy document (dict, possibly an Output) attached as the role's inline policy."""
    tags: dict[str, str] = field(default_factory=dict)


class ServiceRole(pulumi.ComponentResource):
    """One IAM role assumed by one AWS service, with exactly the policies it is given."""

    role: aws.iam.Role
    arn: pulumi.Output[str]
    role_name: pulumi.Output[str]

    def __init__(
        self, name: str, args: ServiceRoleArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("pioneer:aws:ServiceRole", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.role = aws.iam.Role(
            f"{name}-role",
            description=args.description,
            assume_role_policy=json.dumps(assume_role_policy(args.service)),
            max_session_duration=3600,
            tags=args.tags,
            opts=child,
        )
        for arn in args.managed_policy_arns:
            short = arn.rsplit("/", 1)[-1]
            aws.iam.RolePolicyAttachment(
                f"{name}-{short}", role=self.role.name, policy_arn=arn, opts=child
            )
        if args.inline_policy is not None:
            aws.iam.RolePolicy(
                f"{name}-policy",
                role=self.role.id,
                policy=pulumi.Output.from_input(args.inline_policy).apply(
                    lambda doc: json.dumps(doc, sort_keys=True)
                ),
                opts=child,
            )
        self.arn = self.role.arn
        self.role_name = self.role.name
        self.register_outputs({"arn": self.arn, "role_name": self.role_name})
