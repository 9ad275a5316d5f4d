"""The platform's customer-managed KMS key: S3, EKS secrets, SageMaker, ECR and logs use it."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.aws.iam_documents import key_policy


@dataclass
class PlatformKeyArgs:
    alias: str
    """Alias without the ``alias/`` prefix, e.g. ``pioneer/mlp-aws-dev``."""
    partition: str
    account_id: pulumi.Input[str]
    region: str
    deletion_window_days: int = 30
    """A deleted key can be recovered for this long (7-30); 30 is the safest."""
    tags: dict[str, str] = field(default_factory=dict)


class PlatformKey(pulumi.ComponentResource):
    """A symmetric KMS key with yearly rotation, an alias and an explicit key policy."""

    key: aws.kms.Key
    arn: pulumi.Output[str]
    key_id: pulumi.Output[str]

    def __init__(
        self, name: str, args: PlatformKeyArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("pioneer:aws:PlatformKey", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        policy = pulumi.Output.from_input(args.account_id).apply(
            lambda account: json.dumps(
                key_policy(args.partition, account, args.region), sort_keys=True
            )
        )
        self.key = aws.kms.Key(
            f"{name}-key",
            description=f"{args.alias}: data, secrets, images, logs",
            enable_key_rotation=True,
            rotation_period_in_days=365,
            deletion_window_in_days=args.deletion_window_days,
            key_usage="ENCRYPT_DECRYPT",
            customer_master_key_spec="SYMMETRIC_DEFAULT",
            policy=policy,
            tags=args.tags,
            opts=child,
        )
        aws.kms.Alias(
            f"{name}-alias", name=f"alias/{args.alias}", target_key_id=self.key.key_id, opts=child
        )
        self.arn = self.key.arn
        self.key_id = self.key.key_id
        self.register_outputs({"arn": self.arn, "key_id": self.key_id})
