"""IAM and resource policy documents, built as plain Python data from resolved ARNs.

Components call these inside ``Output.all(...).apply`` and ``json.dumps`` the
result, so the documents stay readable, testable without Pulumi, and free of
``"Action": "*"``. ``"Resource": "*"`` appears only for the actions in
`components.aws.iam_allowlist.WILDCARD_RESOURCE_ACTIONS`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from components.aws.iam_allowlist import WILDCARD_RESOURCE_ACTIONS

Document = dict[str, Any]
VERSION = "2012-10-17"

# KMS use (not administration) for services that encrypt with the platform key.
KMS_USE_ACTIONS = [
    "kms:Encrypt",
    "kms:Decrypt",
    "kms:ReEncryptFrom",
    "kms:ReEncryptTo",
    "kms:GenerateDataKey",
    "kms:GenerateDataKeyWithoutPlaintext",
    "kms:DescribeKey",
]


def document(*statements: Document) -> Document:
    return {"Version": VERSION, "Statement": list(statements)}


def assume_role_policy(service: str) -> Document:
    """Trust policy letting one AWS service principal (``eks.amazonaws.com``) assume the role."""
    return document(
        {"Effect": "Allow", "Principal": {"Service": service}, "Action": "sts:AssumeRole"}
    )


ACCESS_LOG_PREFIX = "s3-access/"


def key_policy(partition: str, account_id: str, region: str) -> Document:
    """The platform KMS key's resource policy.

    The first statement is AWS's default key policy (account IAM decides who may
    use the key; in a key policy ``Resource: "*"`` means this key). The second
    lets CloudWatch Logs encrypt this account's log groups in this region.
    """
    logs_arn = f"arn:{partition}:logs:{region}:{account_id}:log-group:*"
    return document(
        {
            "Sid": "AccountAdministersKeyThroughIam",
            "Effect": "Allow",
            "Principal": {"AWS": f"arn:{partition}:iam::{account_id}:root"},
            "Action": "kms:*",
            "Resource": "*",
        },
        {
            "Sid": "CloudWatchLogsEncryptsPlatformLogs",
            "Effect": "Allow",
            "Principal": {"Service": f"logs.{region}.amazonaws.com"},
            "Action": KMS_USE_ACTIONS,
            "Resource": "*",
            "Condition": {"ArnLike": {"kms:EncryptionContext:aws:logs:arn": logs_arn}},
        },
        {
            # S3 server access logs land in a bucket encrypted with this key.
            "Sid": "S3LogDeliveryEncryptsAccessLogs",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "kms:GenerateDataKey",
            "Resource": "*",
            "Condition": {"StringEquals": {"aws:SourceAccount": account_id}},
        },
    )


def tls_only_bucket_policy(bucket_arn: str) -> Document:
    """Deny every request to the bucket that is not HTTPS, or uses TLS older than 1.2."""
    resources = [bucket_arn, f"{bucket_arn}/*"]
    return document(
        {
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        },
        {
            "Sid": "DenyTlsOlderThan12",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": resources,
            "Condition": {"NumericLessThan": {"s3:TlsVersion": "1.2"}},
        },
    )


def access_log_bucket_policy(log_bucket_arn: str, source_arn: str, account_id: str) -> Document:
    """TLS only, and S3's log delivery may write only the source bucket's logs, from this account."""
    statements = tls_only_bucket_policy(log_bucket_arn)["Statement"]
    return document(
        *statements,
        {
            "Sid": "S3ServerAccessLogDelivery",
            "Effect": "Allow",
            "Principal": {"Service": "logging.s3.amazonaws.com"},
            "Action": "s3:PutObject",
            "Resource": f"{log_bucket_arn}/{ACCESS_LOG_PREFIX}*",
            "Condition": {
                "ArnLike": {"aws:SourceArn": source_arn},
                "StringEquals": {"aws:SourceAccount": account_id},
            },
        },
    )


def flow_log_delivery_policy(log_group_arn: str) -> Document:
    """What VPC Flow Logs needs to write to one log group (its documented delivery role)."""
    return document(
        {
            "Sid": "WriteFlowLogs",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogGroups",
                "logs:DescribeLogStreams",
            ],
            "Resource": [log_group_arn, f"{log_group_arn}:*"],
        }
    )


def kms_use_policy(key_arn: str, *, grants: bool = False) -> Document:
    """Use of the platform key only (EKS secrets encryption needs grants too)."""
    actions = KMS_USE_ACTIONS + (["kms:CreateGrant", "kms:ListGrants"] if grants else [])
    return document(
        {"Sid": "UsePlatformKey", "Effect": "Allow", "Action": actions, "Resource": key_arn}
    )


@dataclass(frozen=True)
class SageMakerScope:
    """The resources a SageMaker execution role may touch (all resolved strings)."""

    partition: str
    account_id: str
    region: str
    bucket_arn: str
    key_arn: str
    repository_arn: str
    dlc_repository_arn: str | None
    """AWS's Deep Learning Container repository the backend's default image comes from."""
    log_group_arn: str
    model_package_group_name: str
    vpc_id: str
    subnet_ids: tuple[str, ...]
    security_group_id: str
    mlflow_server_arn: str | None = None


# SageMaker writes training and processing logs to these fixed log groups.
SAGEMAKER_LOG_GROUPS = ("/aws/sagemaker/TrainingJobs", "/aws/sagemaker/ProcessingJobs")

MLFLOW_ACTIONS = [
    "sagemaker-mlflow:AccessUI",
    "sagemaker-mlflow:CreateExperiment",
    "sagemaker-mlflow:SearchExperiments",
    "sagemaker-mlflow:GetExperiment",
    "sagemaker-mlflow:GetExperimentByName",
    "sagemaker-mlflow:UpdateExperiment",
    "sagemaker-mlflow:CreateRun",
    "sagemaker-mlflow:UpdateRun",
    "sagemaker-mlflow:GetRun",
    "sagemaker-mlflow:SearchRuns",
    "sagemaker-mlflow:LogMetric",
    "sagemaker-mlflow:LogParam",
    "sagemaker-mlflow:LogBatch",
    "sagemaker-mlflow:LogInputs",
    "sagemaker-mlflow:LogModel",
    "sagemaker-mlflow:SetTag",
    "sagemaker-mlflow:GetMetricHistory",
    "sagemaker-mlflow:CreateRegisteredModel",
    "sagemaker-mlflow:GetRegisteredModel",
    "sagemaker-mlflow:CreateModelVersion",
    "sagemaker-mlflow:GetModelVersion",
    "sagemaker-mlflow:GetLatestModelVersions",
    "sagemaker-mlflow:SearchRegisteredModels",
]


def sagemaker_execution_policy(s: SageMakerScope) -> Document:
    """Least privilege for training jobs: this bucket, key, repository, logs, registry, VPC."""
    arn = f"arn:{s.partition}"
    logs = [s.log_group_arn, f"{s.log_group_arn}:*"] + [
        f"{arn}:logs:{s.region}:{s.account_id}:log-group:{g}{suffix}"
        for g in SAGEMAKER_LOG_GROUPS
        for suffix in ("", ":*")
    ]
    ec2 = f"{arn}:ec2:{s.region}:{s.account_id}"
    group = s.model_package_group_name
    sm = f"{arn}:sagemaker:{s.region}:{s.account_id}"
    statements: list[Document] = [
        {
            "Sid": "ListPlatformBucket",
            "Effect": "Allow",
            "Action": ["s3:ListBucket", "s3:GetBucketLocation"],
            "Resource": s.bucket_arn,
        },
        {
            "Sid": "ReadWritePlatformObjects",
            "Effect": "Allow",
            "Action": [
                "s3:GetObject",
                "s3:PutObject",
                "s3:DeleteObject",
                "s3:AbortMultipartUpload",
                "s3:ListMultipartUploadParts",
            ],
            "Resource": f"{s.bucket_arn}/*",
        },
        {
            "Sid": "UsePlatformKey",
            "Effect": "Allow",
            "Action": KMS_USE_ACTIONS + ["kms:CreateGrant"],
            "Resource": s.key_arn,
        },
        {
            "Sid": "PullTrainingImages",
            "Effect": "Allow",
            "Action": [
                "ecr:BatchGetImage",
                "ecr:GetDownloadUrlForLayer",
                "ecr:BatchCheckLayerAvailability",
            ],
            # The platform's repository, and the one AWS repository of the default image.
            "Resource": [
                s.repository_arn,
                *([s.dlc_repository_arn] if s.dlc_repository_arn else []),
            ],
        },
        {
            "Sid": "RegistryLogin",
            "Effect": "Allow",
            "Action": "ecr:GetAuthorizationToken",
            "Resource": "*",
        },
        {
            "Sid": "WriteLogs",
            "Effect": "Allow",
            "Action": [
                "logs:CreateLogGroup",
                "logs:CreateLogStream",
                "logs:PutLogEvents",
                "logs:DescribeLogStreams",
            ],
            "Resource": logs,
        },
        {
            "Sid": "TrainingMetrics",
            "Effect": "Allow",
            "Action": "cloudwatch:PutMetricData",
            "Resource": "*",
            "Condition": {"StringLike": {"cloudwatch:namespace": "/aws/sagemaker/*"}},
        },
        {
            "Sid": "DescribeNetwork",
            "Effect": "Allow",
            "Action": [
                "ec2:DescribeNetworkInterfaces",
                "ec2:DescribeVpcs",
                "ec2:DescribeDhcpOptions",
                "ec2:DescribeSubnets",
                "ec2:DescribeSecurityGroups",
            ],
            "Resource": "*",
        },
        {
            "Sid": "NetworkInterfacesInPlatformSubnets",
            "Effect": "Allow",
            "Action": ["ec2:CreateNetworkInterface", "ec2:CreateNetworkInterfacePermission"],
            "Resource": [
                f"{ec2}:network-interface/*",
                f"{ec2}:security-group/{s.security_group_id}",
            ]
            + [f"{ec2}:subnet/{sn}" for sn in s.subnet_ids],
        },
        {
            "Sid": "CleanUpNetworkInterfaces",
            "Effect": "Allow",
            "Action": ["ec2:DeleteNetworkInterface", "ec2:DeleteNetworkInterfacePermission"],
            "Resource": f"{ec2}:network-interface/*",
            "Condition": {"ArnEquals": {"ec2:Vpc": f"{ec2}:vpc/{s.vpc_id}"}},
        },
        {
            "Sid": "RegisterModels",
            "Effect": "Allow",
            "Action": [
                "sagemaker:CreateModelPackage",
                "sagemaker:DescribeModelPackage",
                "sagemaker:UpdateModelPackage",
                "sagemaker:DescribeModelPackageGroup",
            ],
            "Resource": [f"{sm}:model-package-group/{group}", f"{sm}:model-package/{group}/*"],
        },
    ]
    if s.mlflow_server_arn:
        statements.append(
            {
                "Sid": "TrackExperiments",
                "Effect": "Allow",
                "Action": MLFLOW_ACTIONS,
                "Resource": s.mlflow_server_arn,
            }
        )
    return document(*statements)


def wildcard_problems(doc: Document) -> list[str]:
    """Allow statements that use ``*`` actions, or ``*`` resources outside the allow-list."""
    problems = []
    for i, st in enumerate(doc.get("Statement", [])):
        if st.get("Effect") != "Allow":
            continue
        actions = _as_list(st.get("Action"))
        resources = _as_list(st.get("Resource"))
        for a in actions:
            if a == "*" or a.endswith(":*"):
                problems.append(f"Statement[{i}]: wildcard action {a!r}")
        if "*" in resources:
            for a in actions:
                if a not in WILDCARD_RESOURCE_ACTIONS:
                    problems.append(f"Statement[{i}]: {a!r} on Resource '*' is not allow-listed")
    return problems


def _as_list(value: Any) -> list[str]:
    if value is None:
        return []
    return [value] if isinstance(value, str) else list(value)
