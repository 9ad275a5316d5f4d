"""IAM actions that AWS cannot scope to a resource ARN, so ``"Resource": "*"`` is allowed.

This is the complete, reviewed list: every other statement in pioneer's AWS
identity policies names the platform's own bucket, key, repository, log groups,
model package group or network. The policy-as-code checks import this module to
tell an unavoidable wildcard resource from a lazy one.
"""

from __future__ import annotations

REASONS: dict[str, str] = {
    "ecr:GetAuthorizationToken": "returns a registry-wide login token; the action has no resource type",
    "cloudwatch:PutMetricData": "metrics have no ARN; scoped by a cloudwatch:namespace condition instead",
    "ec2:DescribeNetworkInterfaces": "Describe* calls are account-wide list calls (SageMaker VPC mode)",
    "ec2:DescribeVpcs": "Describe* calls are account-wide list calls (SageMaker VPC mode)",
    "ec2:DescribeDhcpOptions": "Describe* calls are account-wide list calls (SageMaker VPC mode)",
    "ec2:DescribeSubnets": "Describe* calls are account-wide list calls (SageMaker VPC mode)",
    "ec2:DescribeSecurityGroups": "Describe* calls are account-wide list calls (SageMaker VPC mode)",
}

WILDCARD_RESOURCE_ACTIONS: frozenset[str] = frozenset(REASONS)
"""Actions allowed on ``"Resource": "*"`` in pioneer's AWS identity policies."""
