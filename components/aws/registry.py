"""ECR repository for training images: immutable tags, scanned on push, KMS-encrypted."""

from __future__ import annotations

import json
from dataclasses import dataclass, field

import pulumi
import pulumi_aws as aws

UNTAGGED_IMAGE_DAYS = 14
"""Untagged images (left behind by rebuilds) are deleted after this many days."""


def lifecycle_policy() -> dict:
    return {
        "rules": [
            {
                "rulePriority": 1,
                "description": f"expire untagged images after {UNTAGGED_IMAGE_DAYS} days",
                "selection": {
                    "tagStatus": "untagged",
                    "countType": "sinceImagePushed",
                    "countUnit": "days",
                    "countNumber": UNTAGGED_IMAGE_DAYS,
                },
                "action": {"type": "expire"},
            }
        ]
    }


@dataclass
class ImageRepositoryArgs:
    repository_name: str
    kms_key_arn: pulumi.Input[str]
    force_delete: bool = False
    tags: dict[str, str] = field(default_factory=dict)


class ImageRepository(pulumi.ComponentResource):
    """Where training images live; SageMaker and the EKS nodes pull from it."""

    repository: aws.ecr.Repository
    arn: pulumi.Output[str]
    url: pulumi.Output[str]

    def __init__(
        self, name: str, args: ImageRepositoryArgs, opts: pulumi.ResourceOptions | None = None
    ):
        super().__init__("pioneer:aws:ImageRepository", name, None, opts)
        child = pulumi.ResourceOptions(parent=self)
        self.repository = aws.ecr.Repository(
            f"{name}-repo",
            name=args.repository_name,
            image_tag_mutability="IMMUTABLE",
            image_scanning_configuration=aws.ecr.RepositoryImageScanningConfigurationArgs(
                scan_on_push=True
            ),
            encryption_configurations=[
                aws.ecr.RepositoryEncryptionConfigurationArgs(
                    encryption_type="KMS", kms_key=args.kms_key_arn
                )
            ],
            force_delete=args.force_delete,
            tags=args.tags,
            opts=child,
        )
        aws.ecr.LifecyclePolicy(
            f"{name}-lifecycle",
            repository=self.repository.name,
            policy=json.dumps(lifecycle_policy()),
            opts=child,
        )
        self.arn = self.repository.arn
        self.url = self.repository.repository_url
        self.register_outputs({"arn": self.arn, "url": self.url})
