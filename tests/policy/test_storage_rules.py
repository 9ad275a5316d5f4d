"""Storage rules: each with a resource that passes and one that fails, on every cloud it covers."""

from __future__ import annotations

import json

import pytest

from tests.policy.helpers import ALL_FLAGS, findings, res, urns

BUCKET = "aws:s3/bucket:Bucket"
PAB = "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock"
SSE = "aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration"
VERSIONING = "aws:s3/bucketVersioning:BucketVersioning"
OWNERSHIP = "aws:s3/bucketOwnershipControls:BucketOwnershipControls"
POLICY = "aws:s3/bucketPolicy:BucketPolicy"
GCS = "gcp:storage/bucket:Bucket"
ACCOUNT = "azure-native:storage:StorageAccount"
CONTAINER = "azure-native:storage:BlobContainer"
BLOB_SERVICE = "azure-native:storage:BlobServiceProperties"

TLS_POLICY = json.dumps(
    {
        "Version": "2012-10-17",
        "Statement": [
            {
                "Sid": "DenyInsecureTransport",
                "Effect": "Deny",
                "Principal": "*",
                "Action": "s3:*",
                "Resource": ["arn:aws:s3:::data", "arn:aws:s3:::data/*"],
                "Condition": {"Bool": {"aws:SecureTransport": "false"}},
            }
        ],
    }
)
GOOD_GCS = {
    "publicAccessPrevention": "enforced",
    "uniformBucketLevelAccess": True,
    "encryption": {"defaultKmsKeyName": "projects/p/locations/us/keyRings/r/cryptoKeys/k"},
    "versioning": {"enabled": True},
}
GOOD_ACCOUNT = {
    "allowBlobPublicAccess": False,
    "minimumTlsVersion": "TLS1_2",
    "enableHttpsTrafficOnly": True,
    "allowSharedKeyAccess": False,
    "encryption": {
        "keySource": "Microsoft.Keyvault",
        "keyVaultProperties": {"keyName": "storage", "keyVaultUri": "https://kv.vault.azure.net/"},
    },
}


def bucket() -> dict:
    return res(BUCKET, "data", {"forceDestroy": False})


def companion(type_: str, name: str, inputs: dict) -> dict:
    """An S3 companion pointing at the bucket by id (as under mocks and after creation)."""
    return res(type_, name, {"bucket": "data-id", **inputs})


# ---- storage-no-public-access ---------------------------------------------------------------


def test_s3_bucket_with_complete_public_access_block_passes():
    assert findings("storage-no-public-access", bucket(), companion(PAB, "pab", ALL_FLAGS)) == []


def test_s3_bucket_without_public_access_block_fails_on_the_bucket():
    assert urns("storage-no-public-access", bucket()) == [bucket()["urn"]]


@pytest.mark.parametrize("flag", sorted(ALL_FLAGS))
def test_s3_public_access_block_with_one_flag_off_names_the_flag(flag):
    msgs = findings(
        "storage-no-public-access", bucket(), companion(PAB, "pab", {**ALL_FLAGS, flag: False})
    )
    assert len(msgs) == 1 and flag in msgs[0]


def test_s3_block_found_through_dependency_when_bucket_id_is_unknown():
    """A real preview does not know the bucket id yet; the recorded dependency links them."""
    block = res(
        PAB,
        "pab",
        {"bucket": "04da6b54-80e4-46f7-96ec-b56ff0331ba9", **ALL_FLAGS},
        dependencies=[bucket()["urn"]],
    )
    assert findings("storage-no-public-access", bucket(), block) == []


def test_block_for_another_bucket_does_not_cover_this_one():
    other = res(BUCKET, "other")
    block = res(PAB, "pab", {"bucket": "other-id", **ALL_FLAGS}, dependencies=[other["urn"]])
    assert urns("storage-no-public-access", bucket(), other, block) == [bucket()["urn"]]


def test_public_canned_acl_fails():
    assert findings(
        "storage-no-public-access",
        res(BUCKET, "data", {"acl": "public-read"}),
        companion(PAB, "pab", ALL_FLAGS),
    )


def test_gcs_enforced_prevention_passes_and_inherited_fails():
    assert findings("storage-no-public-access", res(GCS, "data", GOOD_GCS)) == []
    msgs = findings(
        "storage-no-public-access",
        res(GCS, "data", {**GOOD_GCS, "publicAccessPrevention": "inherited"}),
    )
    assert msgs and "'inherited'" in msgs[0]


@pytest.mark.parametrize("member", ["allUsers", "allAuthenticatedUsers"])
def test_gcs_grant_to_everyone_fails(member):
    grant = res(
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "read",
        {"bucket": "data", "role": "roles/storage.objectViewer", "member": member},
    )
    assert findings("storage-no-public-access", grant)
    ok = res(
        "gcp:storage/bucketIAMMember:BucketIAMMember",
        "read",
        {
            "bucket": "data",
            "role": "roles/storage.objectViewer",
            "member": "serviceAccount:train@p.iam.gserviceaccount.com",
        },
    )
    assert findings("storage-no-public-access", ok) == []


def test_azure_account_must_turn_blob_public_access_off_explicitly():
    assert findings("storage-no-public-access", res(ACCOUNT, "acct", GOOD_ACCOUNT)) == []
    unset = {k: v for k, v in GOOD_ACCOUNT.items() if k != "allowBlobPublicAccess"}
    assert findings("storage-no-public-access", res(ACCOUNT, "acct", unset))
    assert findings(
        "storage-no-public-access",
        res(ACCOUNT, "acct", {**GOOD_ACCOUNT, "allowBlobPublicAccess": True}),
    )


def test_azure_container_public_access():
    assert findings("storage-no-public-access", res(CONTAINER, "c", {"publicAccess": "None"})) == []
    assert findings("storage-no-public-access", res(CONTAINER, "c", {"publicAccess": "Blob"}))


# ---- storage-uniform-access -----------------------------------------------------------------


def test_gcs_uniform_access():
    assert findings("storage-uniform-access", res(GCS, "data", GOOD_GCS)) == []
    assert findings(
        "storage-uniform-access", res(GCS, "data", {**GOOD_GCS, "uniformBucketLevelAccess": False})
    )


def test_s3_ownership_must_be_bucket_owner_enforced():
    good = companion(OWNERSHIP, "own", {"rule": {"objectOwnership": "BucketOwnerEnforced"}})
    bad = companion(OWNERSHIP, "own", {"rule": {"objectOwnership": "ObjectWriter"}})
    assert findings("storage-uniform-access", bucket(), good) == []
    assert "not BucketOwnerEnforced" in findings("storage-uniform-access", bucket(), bad)[0]
    assert "no aws.s3.BucketOwnershipControls" in findings("storage-uniform-access", bucket())[0]


# ---- storage-encryption-cmk -----------------------------------------------------------------


def sse(algorithm: str, key: str | None) -> dict:
    default = {"sseAlgorithm": algorithm, **({"kmsMasterKeyId": key} if key else {})}
    return companion(
        SSE,
        "sse",
        {"rules": [{"applyServerSideEncryptionByDefault": default, "bucketKeyEnabled": True}]},
    )


def test_s3_sse_kms_with_key_passes():
    key = "arn:aws:kms:us-east-1:123456789012:key/abc"
    assert findings("storage-encryption-cmk", bucket(), sse("aws:kms", key)) == []


@pytest.mark.parametrize("algorithm,key", [("AES256", None), ("aws:kms", None)])
def test_s3_without_customer_key_fails(algorithm, key):
    msgs = findings("storage-encryption-cmk", bucket(), sse(algorithm, key))
    assert len(msgs) == 2  # the configuration itself, and the bucket left without a CMK


def test_s3_bucket_without_encryption_configuration_fails():
    assert urns("storage-encryption-cmk", bucket()) == [bucket()["urn"]]


def test_gcs_and_azure_cmk():
    assert findings("storage-encryption-cmk", res(GCS, "data", GOOD_GCS)) == []
    assert findings("storage-encryption-cmk", res(GCS, "data", {**GOOD_GCS, "encryption": None}))
    assert findings("storage-encryption-cmk", res(ACCOUNT, "acct", GOOD_ACCOUNT)) == []
    msgs = findings(
        "storage-encryption-cmk",
        res(ACCOUNT, "acct", {**GOOD_ACCOUNT, "encryption": {"keySource": "Microsoft.Storage"}}),
    )
    assert msgs and "Microsoft.Storage" in msgs[0]


# ---- storage-versioning ---------------------------------------------------------------------


def test_s3_versioning():
    on = companion(VERSIONING, "v", {"versioningConfiguration": {"status": "Enabled"}})
    off = companion(VERSIONING, "v", {"versioningConfiguration": {"status": "Suspended"}})
    assert findings("storage-versioning", bucket(), on) == []
    assert len(findings("storage-versioning", bucket(), off)) == 2
    assert findings("storage-versioning", bucket())


def test_gcs_versioning():
    assert findings("storage-versioning", res(GCS, "data", GOOD_GCS)) == []
    assert findings(
        "storage-versioning", res(GCS, "data", {**GOOD_GCS, "versioning": {"enabled": False}})
    )


def test_azure_account_needs_blob_service_with_versioning():
    account = res(ACCOUNT, "acct", {**GOOD_ACCOUNT, "accountName": "mlpdata"})
    on = res(BLOB_SERVICE, "blob", {"accountName": "mlpdata", "isVersioningEnabled": True})
    off = res(BLOB_SERVICE, "blob", {"accountName": "mlpdata", "isVersioningEnabled": False})
    assert findings("storage-versioning", account, on) == []
    assert len(findings("storage-versioning", account, off)) == 2
    assert urns("storage-versioning", account) == [account["urn"]]


# ---- storage-tls-only -----------------------------------------------------------------------


def test_s3_tls_only_policy():
    assert (
        findings("storage-tls-only", bucket(), companion(POLICY, "p", {"policy": TLS_POLICY})) == []
    )
    allow_all = json.dumps(
        {
            "Statement": [
                {
                    "Effect": "Allow",
                    "Principal": "*",
                    "Action": "s3:GetObject",
                    "Resource": "arn:aws:s3:::data/*",
                }
            ]
        }
    )
    assert findings("storage-tls-only", bucket(), companion(POLICY, "p", {"policy": allow_all}))
    assert findings("storage-tls-only", bucket())


def test_s3_policy_not_known_until_the_bucket_exists_is_not_a_finding():
    unknown = res(
        POLICY, "p", {"bucket": "data-id", "policy": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"}
    )
    assert findings("storage-tls-only", bucket(), unknown) == []


def test_s3_tls_condition_as_boolean_or_list_also_counts():
    doc = json.loads(TLS_POLICY)
    doc["Statement"][0]["Condition"]["Bool"]["aws:SecureTransport"] = [False]
    assert findings("storage-tls-only", bucket(), companion(POLICY, "p", {"policy": doc})) == []


@pytest.mark.parametrize(
    "change",
    [
        {"minimumTlsVersion": "TLS1_0"},
        {"minimumTlsVersion": None},
        {"enableHttpsTrafficOnly": False},
    ],
)
def test_azure_tls(change):
    assert findings("storage-tls-only", res(ACCOUNT, "acct", GOOD_ACCOUNT)) == []
    assert findings("storage-tls-only", res(ACCOUNT, "acct", {**GOOD_ACCOUNT, **change}))


# ---- storage-key-rotation (advisory) --------------------------------------------------------


def test_key_rotation():
    assert (
        findings("storage-key-rotation", res("aws:kms/key:Key", "k", {"enableKeyRotation": True}))
        == []
    )
    assert findings("storage-key-rotation", res("aws:kms/key:Key", "k", {}))
    crypto = "gcp:kms/cryptoKey:CryptoKey"
    assert findings("storage-key-rotation", res(crypto, "k", {"rotationPeriod": "7776000s"})) == []
    assert findings("storage-key-rotation", res(crypto, "k", {"rotationPeriod": "63072000s"}))
    assert findings("storage-key-rotation", res(crypto, "k", {}))


# ---- storage-access-logging (#18.14) --------------------------------------------------------

LOGGING = "aws:s3/bucketLogging:BucketLogging"


def test_s3_bucket_needs_server_access_logging_into_another_bucket():
    data, logs = res(BUCKET, "data"), res(BUCKET, "logs")
    delivery = res(LOGGING, "delivery", {"bucket": "data-id", "targetBucket": "logs-id"})
    assert urns("storage-access-logging", data, logs, delivery) == []
    # without the logging resource both buckets are plain buckets, and both are flagged
    assert sorted(urns("storage-access-logging", data, logs)) == sorted([data["urn"], logs["urn"]])
    elsewhere = res(LOGGING, "delivery", {"bucket": "other-id", "targetBucket": "logs-id"})
    assert urns("storage-access-logging", data, logs, elsewhere) == [data["urn"]]


def test_gcs_bucket_needs_usage_logs_and_its_log_bucket_is_exempt():
    logs = res(GCS, "logs", {"name": "logs"})
    data = res(GCS, "data", {"logging": {"logBucket": "logs"}})
    assert urns("storage-access-logging", data, logs) == []
    bare = res(GCS, "data", {})
    assert sorted(urns("storage-access-logging", bare, logs)) == sorted([bare["urn"], logs["urn"]])
