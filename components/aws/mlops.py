"""SageMaker: a least-privilege execution role, the model registry, and optional Studio and MLflow."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.aws.iam_documents import SageMakerScope, sagemaker_execution_policy
from components.aws.identity import ServiceRole, ServiceRoleArgs
from components.aws.images import dlc_repository_arn

LOG_RETENTION_DAYS = 30
MLFLOW_SIZE = "Small"
"""Smallest managed MLflow size (up to 25 users); the server bills per hour while it exists."""


@dataclass
class SageMakerPlatformArgs:
    base_name: str
    """Physical name stem (platform-stack) for the registry, log group, domain and MLflow server."""
    partition: str
    account_id: pulumi.Input[str]
    region: str
    bucket_name: pulumi.Input[str]
    bucket_arn: pulumi.Input[str]
    kms_key_arn: pulumi.Input[str]
    repository_arn: pulumi.Input[str]
    vpc_id: pulumi.Input[str]
    subnet_ids: Sequence[pulumi.Input[str]]
    security_group_id: pulumi.Input[str]
    domain: bool = False
    """A VPC-only SageMaker Studio domain."""
    mlflow_server: bool = False
    """A SageMaker managed MLflow tracking server storing artifacts in the bucket."""
    tags: dict[str, str] = field(default_factory=dict)


class SageMakerPlatform(pulumi.ComponentResource):
    """What SageMaker training, the model registry and experiment tracking need."""

    role_arn: pulumi.Output[str]
    model_package_group_name: pulumi.Output[str]
    log_group_name: pulumi.Output[str]
    domain_id: pulumi.Output[str] | None
    mlflow_tracking_server_arn: pulumi.Output[str] | None

    def __init__(
        self, name: str, args: SageMakerPlatformArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("pioneer:aws:SageMakerPlatform", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        group_name = f"{args.base_name[:56]}-models"  # model package group names: 63 at most
        server_name = f"{args.base_name}-mlflow"[:256]
        log_group = aws.cloudwatch.LogGroup(
            f"{name}-logs",
            name=f"/pioneer/{args.base_name}/training",
            retention_in_days=LOG_RETENTION_DAYS,
            kms_key_id=args.kms_key_arn,
            tags=args.tags,
            opts=child,
        )

        # The MLflow server's ARN is known from its name, so the role's policy can name it
        # before the server (which needs the role) exists.
        server_arn = (
            pulumi.Output.from_input(args.account_id).apply(
                lambda acct: (
                    f"arn:{args.partition}:sagemaker:{args.region}:{acct}"
                    f":mlflow-tracking-server/{server_name}"
                )
            )
            if args.mlflow_server
            else None
        )
        policy = pulumi.Output.all(
            args.account_id,
            args.bucket_arn,
            args.kms_key_arn,
            args.repository_arn,
            log_group.arn,
            args.vpc_id,
            pulumi.Output.all(*args.subnet_ids),
            args.security_group_id,
            server_arn,
        ).apply(
            lambda a: sagemaker_execution_policy(
                SageMakerScope(
                    partition=args.partition,
                    account_id=a[0],
                    region=args.region,
                    bucket_arn=a[1],
                    key_arn=a[2],
                    repository_arn=a[3],
                    dlc_repository_arn=dlc_repository_arn(args.partition, args.region),
                    log_group_arn=a[4],
                    vpc_id=a[5],
                    subnet_ids=tuple(a[6]),
                    security_group_id=a[7],
                    mlflow_server_arn=a[8],
                    model_package_group_name=group_name,
                )
            )
        )
        role = ServiceRole(
            f"{name}-execution",
            ServiceRoleArgs(
                service="sagemaker.amazonaws.com",
                description=f"SageMaker jobs of {args.base_name}: its bucket, key, images, logs only",
                inline_policy=policy,
                tags=args.tags,
            ),
            opts=child,
        )

        registry = aws.sagemaker.ModelPackageGroup(
            f"{name}-models",
            model_package_group_name=group_name,
            model_package_group_description=f"Models trained on {args.base_name}",
            tags=args.tags,
            opts=child,
        )

        self.domain_id = None
        if args.domain:
            domain = aws.sagemaker.Domain(
                f"{name}-domain",
                domain_name=args.base_name,
                auth_mode="IAM",
                app_network_access_type="VpcOnly",
                vpc_id=args.vpc_id,
                subnet_ids=list(args.subnet_ids),
                kms_key_id=args.kms_key_arn,
                default_user_settings=aws.sagemaker.DomainDefaultUserSettingsArgs(
                    execution_role=role.arn, security_groups=[args.security_group_id]
                ),
                tags=args.tags,
                opts=child,
            )
            self.domain_id = domain.id

        self.mlflow_tracking_server_arn = None
        if args.mlflow_server:
            server = aws.sagemaker.MlflowTrackingServer(
                f"{name}-mlflow",
                tracking_server_name=server_name,
                artifact_store_uri=pulumi.Output.concat("s3://", args.bucket_name, "/mlflow"),
                role_arn=role.arn,
                tracking_server_size=MLFLOW_SIZE,
                automatic_model_registration=True,
                tags=args.tags,
                opts=pulumi.ResourceOptions(parent=self, depends_on=[role]),
            )
            self.mlflow_tracking_server_arn = server.arn

        self.role_arn = role.arn
        self.model_package_group_name = registry.model_package_group_name
        self.log_group_name = log_group.name
        self.register_outputs(
            {
                "role_arn": self.role_arn,
                "model_package_group_name": self.model_package_group_name,
                "log_group_name": self.log_group_name,
                "domain_id": self.domain_id,
                "mlflow_tracking_server_arn": self.mlflow_tracking_server_arn,
            }
        )
