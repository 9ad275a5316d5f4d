"""The only IAM roles the GCP platform grants, each with the one scope it is granted at.

Component code calls `check_grant` before creating any IAM member, so a new
grant that is broader than listed here fails at plan time; the policy checks
import `ALLOWED_ROLES` and `SCOPE_OF_TYPE` to judge any preview the same way.
"""

from __future__ import annotations

LOG_WRITER = "roles/logging.logWriter"
METRIC_WRITER = "roles/monitoring.metricWriter"
MONITORING_VIEWER = "roles/monitoring.viewer"
AR_READER = "roles/artifactregistry.reader"
STORAGE_OBJECT_ADMIN = "roles/storage.objectAdmin"
STORAGE_OBJECT_CREATOR = "roles/storage.objectCreator"
VERTEX_USER = "roles/aiplatform.user"
KMS_ENCRYPTER_DECRYPTER = "roles/cloudkms.cryptoKeyEncrypterDecrypter"
WORKLOAD_IDENTITY_USER = "roles/iam.workloadIdentityUser"

ALLOWED_ROLES: dict[str, str] = {
    # GKE nodes: write logs and metrics, read images (what GKE's own minimal node SA has).
    LOG_WRITER: "project",
    METRIC_WRITER: "project",
    MONITORING_VIEWER: "project",
    AR_READER: "repository",
    # Training: read/write objects of the platform bucket only, run Vertex AI jobs.
    STORAGE_OBJECT_ADMIN: "bucket",
    # Cloud Storage's usage-log writer puts access logs into the platform's log bucket only.
    STORAGE_OBJECT_CREATOR: "bucket",
    VERTEX_USER: "project",
    # Service agents (GCS, Vertex AI, Artifact Registry, GKE) encrypt with the platform key.
    KMS_ENCRYPTER_DECRYPTER: "crypto_key",
    # A Kubernetes service account in the cluster acts as the training service account.
    WORKLOAD_IDENTITY_USER: "service_account",
}
"""role -> the narrowest scope pioneer grants it at."""

PRIMITIVE_ROLES = frozenset({"roles/owner", "roles/editor", "roles/viewer"})

SCOPE_OF_TYPE: dict[str, str] = {
    "gcp:projects/iAMMember:IAMMember": "project",
    "gcp:storage/bucketIAMMember:BucketIAMMember": "bucket",
    "gcp:artifactregistry/repositoryIamMember:RepositoryIamMember": "repository",
    "gcp:kms/cryptoKeyIAMMember:CryptoKeyIAMMember": "crypto_key",
    "gcp:serviceaccount/iAMMember:IAMMember": "service_account",
}
"""Pulumi type token of each IAM member resource -> the scope it grants at."""


def check_grant(role: str, scope: str) -> str:
    """Return `role` if pioneer may grant it at `scope`; otherwise raise ValueError."""
    if role in PRIMITIVE_ROLES:
        raise ValueError(f"{role} is a primitive role; pioneer never grants it")
    allowed = ALLOWED_ROLES.get(role)
    if allowed is None:
        raise ValueError(f"{role} is not one of the allowed roles: {', '.join(ALLOWED_ROLES)}")
    if allowed != scope:
        raise ValueError(f"{role} may only be granted on a {allowed}, not on a {scope}")
    return role
