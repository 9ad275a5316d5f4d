"""`Storage`: the platform bucket for data, checkpoints and models — private, CMEK, versioned."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import pulumi
import pulumi_gcp as gcp

from components.gcp.roles import STORAGE_OBJECT_CREATOR, check_grant
from components.spec import SpecError

DAY = 86_400
ACCESS_LOG_DAYS = 365
"""Access logs are an audit record: kept a year, then deleted."""
ACCESS_LOG_WRITER = "group:cloud-storage-analytics@google.com"
"""The identity Cloud Storage writes usage (access) logs as (GCS docs, "Usage logs")."""


def soft_delete_seconds(days: int) -> int:
    """GCS soft delete is off (0) or 7-90 days; anything else is refused by the API."""
    if days and not 7 <= days <= 90:
        raise SpecError(
            [f"storage.soft_delete_days: {days} is not allowed on gcp; use 0 (off) or 7-90 days"]
        )
    return days * DAY


@dataclass
class StorageArgs:
    project: str
    """The GCP project id."""
    region: str
    """The bucket's (regional) location."""
    kms_key_id: pulumi.Input[str] | None = None
    """The platform key for CMEK; None: Google-managed keys (the spec's opt-out)."""
    versioning: bool = True
    """Object versioning (old checkpoint versions expire after ``checkpoint_retention_days``)."""
    public_access: bool = False
    """Secure default False: public access prevention enforced."""
    checkpoint_retention_days: int = 30
    """Noncurrent object versions are deleted after this many days."""
    soft_delete_days: int = 7
    """GCS soft delete (0 or 7-90 days, checked at the spec edge)."""
    force_destroy: bool = False
    """Let `pulumi destroy` delete a bucket that still holds objects."""
    labels: dict[str, str] = field(default_factory=dict)
    """The platform labels (`components.gcp.tags.platform_labels`)."""
    depends_on: Sequence[pulumi.Resource] = ()
    """The APIs and the storage agent's key grant, which must exist first."""


class Storage(pulumi.ComponentResource):
    """One regional bucket: uniform access, public access prevention, CMEK, lifecycle."""

    def __init__(
        self,
        name: str,
        args: StorageArgs,
        opts: pulumi.ResourceOptions | None = None,
    ):
        super().__init__("pioneer:gcp:Storage", name, {}, opts)
        st, kms_key_id = args, args.kms_key_id
        rules = [
            # Overwritten or deleted checkpoints stay recoverable for the retention period.
            gcp.storage.BucketLifecycleRuleArgs(
                action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                condition=gcp.storage.BucketLifecycleRuleConditionArgs(
                    days_since_noncurrent_time=st.checkpoint_retention_days
                ),
            ),
            gcp.storage.BucketLifecycleRuleArgs(
                action=gcp.storage.BucketLifecycleRuleActionArgs(
                    type="AbortIncompleteMultipartUpload"
                ),
                condition=gcp.storage.BucketLifecycleRuleConditionArgs(age=7),
            ),
        ]
        # Access logs go to a bucket of their own: as locked down as the data bucket, CMEK,
        # no deletion before they expire, and writable only by Cloud Storage's log writer.
        self.logs = gcp.storage.Bucket(
            f"{name}-access-logs",
            project=args.project,
            location=args.region.upper(),
            storage_class="STANDARD",
            uniform_bucket_level_access=True,
            public_access_prevention="enforced",
            versioning=gcp.storage.BucketVersioningArgs(enabled=True),
            encryption=gcp.storage.BucketEncryptionArgs(default_kms_key_name=kms_key_id)
            if kms_key_id is not None
            else None,
            lifecycle_rules=[
                gcp.storage.BucketLifecycleRuleArgs(
                    action=gcp.storage.BucketLifecycleRuleActionArgs(type="Delete"),
                    condition=gcp.storage.BucketLifecycleRuleConditionArgs(age=ACCESS_LOG_DAYS),
                )
            ],
            force_destroy=st.force_destroy,
            labels=args.labels,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        writer = gcp.storage.BucketIAMMember(
            f"{name}-access-log-writer",
            bucket=self.logs.name,
            role=check_grant(STORAGE_OBJECT_CREATOR, "bucket"),
            member=ACCESS_LOG_WRITER,
            opts=pulumi.ResourceOptions(parent=self, depends_on=list(args.depends_on)),
        )
        self.bucket = gcp.storage.Bucket(
            f"{name}-data",
            project=args.project,
            location=args.region.upper(),
            storage_class="STANDARD",
            uniform_bucket_level_access=True,
            public_access_prevention="inherited" if st.public_access else "enforced",
            versioning=gcp.storage.BucketVersioningArgs(enabled=st.versioning),
            encryption=gcp.storage.BucketEncryptionArgs(default_kms_key_name=kms_key_id)
            if kms_key_id is not None
            else None,
            lifecycle_rules=rules,
            soft_delete_policy=gcp.storage.BucketSoftDeletePolicyArgs(
                retention_duration_seconds=soft_delete_seconds(st.soft_delete_days)
            ),
            logging=gcp.storage.BucketLoggingArgs(
                log_bucket=self.logs.name, log_object_prefix="gcs-access"
            ),
            force_destroy=st.force_destroy,
            labels=args.labels,
            opts=pulumi.ResourceOptions(parent=self, depends_on=[*args.depends_on, writer]),
        )
        self.bucket_name = self.bucket.name
        self.bucket_url = self.bucket.url
        self.register_outputs({"bucket_name": self.bucket_name, "bucket_url": self.bucket_url})
