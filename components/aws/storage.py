"""The platform S3 bucket for datasets, checkpoints and models — private, encrypted, TLS only."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

from components.aws.iam_documents import (
    ACCESS_LOG_PREFIX,
    access_log_bucket_policy,
    tls_only_bucket_policy,
)

CHECKPOINT_PREFIX = "checkpoints/"
"""Training writes checkpoints under this prefix; their old versions expire."""
ABORT_MULTIPART_DAYS = 7
ACCESS_LOG_DAYS = 365
"""Access logs are an audit record: kept a year (CloudWatch operational logs keep 30 days)."""


@dataclass
class DataBucketArgs:
    kms_key_arn: pulumi.Input[str] | None
    """Customer-managed key for SSE-KMS; None falls back to SSE-S3 (the spec's explicit opt-out)."""
    versioning: bool = True
    public_access: bool = False
    """Secure default False: all four public-access-block flags on."""
    checkpoint_retention_days: int = 30
    """Noncurrent (overwritten or deleted) checkpoint versions are deleted after this many days."""
    force_destroy: bool = False
    account_id: pulumi.Input[str] = ""
    """The account S3's log delivery may write access logs from."""
    tags: dict[str, str] = field(default_factory=dict)


class DataBucket(pulumi.ComponentResource):
    """S3 bucket: SSE-KMS with bucket keys, owner-enforced, versioned, TLS-only, lifecycle rules."""

    bucket: aws.s3.Bucket
    bucket_name: pulumi.Output[str]
    arn: pulumi.Output[str]

    def __init__(self, name: str, args: DataBucketArgs, opts: pulumi.ResourceOptions | None = None):
        super().__init__("pioneer:aws:DataBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket", force_destroy=args.force_destroy, tags=args.tags, opts=child
        )
        pab = _lock_down(name, self.bucket, args.kms_key_arn, args.public_access, child)
        versioning = _versioning(name, self.bucket, args.versioning, child)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="abort-incomplete-multipart-uploads",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    abort_incomplete_multipart_upload=aws.s3.BucketLifecycleConfigurationRuleAbortIncompleteMultipartUploadArgs(
                        days_after_initiation=ABORT_MULTIPART_DAYS
                    ),
                ),
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-old-checkpoint-versions",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(
                        prefix=CHECKPOINT_PREFIX
                    ),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=args.checkpoint_retention_days
                    ),
                ),
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        aws.s3.BucketPolicy(
            f"{name}-tls-only",
            bucket=self.bucket.id,
            policy=self.bucket.arn.apply(
                lambda arn: json.dumps(tls_only_bucket_policy(arn), sort_keys=True)
            ),
            # S3 rejects some policies while the public-access block is being changed.
            opts=pulumi.ResourceOptions(parent=self, depends_on=[pab]),
        )
        self.logs = AccessLogBucket(
            f"{name}-access-logs",
            source=self.bucket,
            kms_key_arn=args.kms_key_arn,
            account_id=args.account_id,
            force_destroy=args.force_destroy,
            tags=args.tags,
            opts=child,
        )
        self.bucket_name = self.bucket.bucket
        self.arn = self.bucket.arn
        self.register_outputs({"bucket_name": self.bucket_name, "arn": self.arn})


def _versioning(
    name: str, bucket: aws.s3.Bucket, enabled: bool, child: pulumi.ResourceOptions
) -> aws.s3.BucketVersioning:
    return aws.s3.BucketVersioning(
        f"{name}-versioning",
        bucket=bucket.id,
        versioning_configuration=aws.s3.BucketVersioningVersioningConfigurationArgs(
            status="Enabled" if enabled else "Suspended"
        ),
        opts=child,
    )


def _lock_down(
    name: str,
    bucket: aws.s3.Bucket,
    kms_key_arn: pulumi.Input[str] | None,
    public_access: bool,
    child: pulumi.ResourceOptions,
) -> aws.s3.BucketPublicAccessBlock:
    """Public access blocked, ACLs off, default encryption: the same for every pioneer bucket."""
    blocked = not public_access
    pab = aws.s3.BucketPublicAccessBlock(
        f"{name}-public-access",
        bucket=bucket.id,
        block_public_acls=blocked,
        block_public_policy=blocked,
        ignore_public_acls=blocked,
        restrict_public_buckets=blocked,
        opts=child,
    )
    # ACLs off: the bucket owner owns every object, so no ACL can make one public.
    aws.s3.BucketOwnershipControls(
        f"{name}-ownership",
        bucket=bucket.id,
        rule=aws.s3.BucketOwnershipControlsRuleArgs(object_ownership="BucketOwnerEnforced"),
        opts=child,
    )
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-sse",
        bucket=bucket.id,
        rules=[
            aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
                apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="aws:kms", kms_master_key_id=kms_key_arn
                )
                if kms_key_arn is not None
                else aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                    sse_algorithm="AES256"
                ),
                # Bucket keys cut KMS request costs by up to 99% for checkpoint-heavy workloads.
                bucket_key_enabled=kms_key_arn is not None,
            )
        ],
        opts=child,
    )
    return pab


class AccessLogBucket(pulumi.ComponentResource):
    """The data bucket's server access logs, in a bucket of their own.

    Locked down like the data bucket, encrypted with the same key (its policy lets S3's log
    delivery generate data keys), kept ACCESS_LOG_DAYS days, and writable only by
    `logging.s3.amazonaws.com` for the one source bucket and account (ACLs are off, so the
    bucket policy is the documented way in).
    """

    def __init__(
        self,
        name: str,
        *,
        source: aws.s3.Bucket,
        kms_key_arn: pulumi.Input[str] | None,
        account_id: pulumi.Input[str],
        force_destroy: bool,
        tags: dict[str, str],
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("pioneer:aws:AccessLogBucket", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.bucket = aws.s3.Bucket(
            f"{name}-bucket", force_destroy=force_destroy, tags=tags, opts=child
        )
        pab = _lock_down(name, self.bucket, kms_key_arn, False, child)
        versioning = _versioning(name, self.bucket, True, child)
        aws.s3.BucketLifecycleConfiguration(
            f"{name}-lifecycle",
            bucket=self.bucket.id,
            rules=[
                aws.s3.BucketLifecycleConfigurationRuleArgs(
                    id="expire-access-logs",
                    status="Enabled",
                    filter=aws.s3.BucketLifecycleConfigurationRuleFilterArgs(prefix=""),
                    expiration=aws.s3.BucketLifecycleConfigurationRuleExpirationArgs(
                        days=ACCESS_LOG_DAYS
                    ),
                    noncurrent_version_expiration=aws.s3.BucketLifecycleConfigurationRuleNoncurrentVersionExpirationArgs(
                        noncurrent_days=1
                    ),
                )
            ],
            opts=pulumi.ResourceOptions(parent=self, depends_on=[versioning]),
        )
        policy = aws.s3.BucketPolicy(
            f"{name}-policy",
            bucket=self.bucket.id,
            policy=pulumi.Output.all(self.bucket.arn, source.arn, account_id).apply(
                lambda a: json.dumps(access_log_bucket_policy(a[0], a[1], a[2]), sort_keys=True)
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[pab]),
        )
        self.logging = aws.s3.BucketLogging(
            f"{name}-delivery",
            bucket=source.id,
            target_bucket=self.bucket.id,
            target_prefix=ACCESS_LOG_PREFIX,
            # date-partitioned keys: what Athena and log tools query by
            target_object_key_format=aws.s3.BucketLoggingTargetObjectKeyFormatArgs(
                partitioned_prefix=aws.s3.BucketLoggingTargetObjectKeyFormatPartitionedPrefixArgs(
                    partition_date_source="EventTime"
                )
            ),
            opts=pulumi.ResourceOptions(parent=self, depends_on=[policy]),
        )
        self.register_outputs({"bucket": self.bucket.id})
