"""KMS key and S3 bucket: rotation, SSE-KMS, public-access block, TLS-only policy, lifecycle."""

from __future__ import annotations

import json

import pytest

from components.aws.storage import CHECKPOINT_PREFIX


def _key(run):
    return run.one("aws:kms/key:Key")


def test_kms_key_rotates_and_has_an_alias(run_spec, base_config):
    run = run_spec(base_config("aws"))
    key = _key(run)
    assert key.inputs["enableKeyRotation"] is True
    assert key.inputs["deletionWindowInDays"] == 30
    alias = run.one("aws:kms/alias:Alias")
    assert alias.inputs["targetKeyId"] == key.state["keyId"]
    assert alias.inputs["name"].startswith("alias/pioneer/")


def test_key_policy_lets_the_account_administer_and_logs_encrypt_only(run_spec, base_config):
    run = run_spec(base_config("aws"))
    policy = json.loads(_key(run).inputs["policy"])
    by_sid = {s["Sid"]: s for s in policy["Statement"]}
    assert set(by_sid) == {
        "AccountAdministersKeyThroughIam",
        "CloudWatchLogsEncryptsPlatformLogs",
        "S3LogDeliveryEncryptsAccessLogs",
    }
    delivery = by_sid["S3LogDeliveryEncryptsAccessLogs"]
    assert delivery["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert delivery["Action"] == "kms:GenerateDataKey"
    assert delivery["Condition"] == {"StringEquals": {"aws:SourceAccount": "123456789012"}}
    admin = by_sid["AccountAdministersKeyThroughIam"]
    assert admin["Principal"] == {"AWS": "arn:aws:iam::123456789012:root"}
    logs = by_sid["CloudWatchLogsEncryptsPlatformLogs"]
    assert logs["Principal"] == {"Service": "logs.us-east-1.amazonaws.com"}
    assert not any(a.endswith("*") for a in logs["Action"])
    assert logs["Condition"]["ArnLike"]["kms:EncryptionContext:aws:logs:arn"].startswith(
        "arn:aws:logs:us-east-1:123456789012:log-group:"
    )


def test_bucket_is_encrypted_with_the_platform_key_and_bucket_keys(run_spec, base_config):
    run = run_spec(base_config("aws"))
    bucket = run.by_name("mlp-aws-data-bucket")
    sse = run.by_name("mlp-aws-data-sse")
    assert sse.inputs["bucket"] == bucket.id
    (rule,) = sse.inputs["rules"]
    assert rule["bucketKeyEnabled"] is True
    default = rule["applyServerSideEncryptionByDefault"]
    assert default == {"sseAlgorithm": "aws:kms", "kmsMasterKeyId": _key(run).state["arn"]}


def test_bucket_blocks_all_public_access_and_acls(run_spec, base_config):
    run = run_spec(base_config("aws"))
    bucket = run.by_name("mlp-aws-data-bucket")
    pab = run.by_name("mlp-aws-data-public-access")
    assert pab.inputs["bucket"] == bucket.id
    for flag in (
        "blockPublicAcls",
        "blockPublicPolicy",
        "ignorePublicAcls",
        "restrictPublicBuckets",
    ):
        assert pab.inputs[flag] is True, flag
    own = run.by_name("mlp-aws-data-ownership")
    assert own.inputs["rule"]["objectOwnership"] == "BucketOwnerEnforced"


def test_public_access_is_an_explicit_opt_out(run_spec, base_config):
    cfg = base_config("aws")
    cfg["storage"]["public_access"] = True
    pab = run_spec(cfg).by_name("mlp-aws-data-public-access")
    assert pab.inputs["blockPublicPolicy"] is False


@pytest.mark.parametrize(("versioning", "status"), [(True, "Enabled"), (False, "Suspended")])
def test_versioning_follows_the_spec(run_spec, base_config, versioning, status):
    cfg = base_config("aws")
    cfg["storage"]["versioning"] = versioning
    v = run_spec(cfg).by_name("mlp-aws-data-versioning")
    assert v.inputs["versioningConfiguration"]["status"] == status


def test_bucket_policy_denies_requests_without_tls(run_spec, base_config):
    run = run_spec(base_config("aws"))
    bucket = run.by_name("mlp-aws-data-bucket")
    bp = run.by_name("mlp-aws-data-tls-only")
    assert bp.inputs["bucket"] == bucket.id
    doc = json.loads(bp.inputs["policy"])
    arn = bucket.state["arn"]
    insecure = [
        s
        for s in doc["Statement"]
        if s["Condition"].get("Bool", {}).get("aws:SecureTransport") == "false"
    ]
    assert len(insecure) == 1
    st = insecure[0]
    assert st["Effect"] == "Deny" and st["Principal"] == "*" and st["Action"] == "s3:*"
    assert sorted(st["Resource"]) == sorted([arn, f"{arn}/*"])
    old_tls = [s for s in doc["Statement"] if "NumericLessThan" in s["Condition"]]
    assert old_tls[0]["Effect"] == "Deny"
    assert old_tls[0]["Condition"]["NumericLessThan"]["s3:TlsVersion"] == "1.2"
    assert all(s["Effect"] == "Deny" for s in doc["Statement"])  # the policy grants nothing


@pytest.mark.parametrize("days", [7, 90])
def test_lifecycle_aborts_uploads_and_expires_old_checkpoint_versions(run_spec, base_config, days):
    cfg = base_config("aws")
    cfg["storage"]["checkpoint_retention_days"] = days
    lc = run_spec(cfg).by_name("mlp-aws-data-lifecycle")
    rules = {r["id"]: r for r in lc.inputs["rules"]}
    assert all(r["status"] == "Enabled" for r in rules.values())
    abort = rules["abort-incomplete-multipart-uploads"]
    assert abort["abortIncompleteMultipartUpload"]["daysAfterInitiation"] == 7
    ckpt = rules["expire-old-checkpoint-versions"]
    assert ckpt["filter"]["prefix"] == CHECKPOINT_PREFIX
    assert ckpt["noncurrentVersionExpiration"]["noncurrentDays"] == days
    assert "expiration" not in ckpt  # current checkpoints are never expired


def test_bucket_is_not_force_destroyed_unless_asked(run_spec, base_config):
    cfg = base_config("aws")
    assert run_spec(cfg).by_name("mlp-aws-data-bucket").inputs["forceDestroy"] is False
    cfg["storage"]["force_destroy"] = True
    assert run_spec(cfg).by_name("mlp-aws-data-bucket").inputs["forceDestroy"] is True


def test_without_customer_managed_key_the_bucket_falls_back_to_sse_s3(run_spec, base_config):
    cfg = base_config("aws")
    cfg["storage"]["customer_managed_key"] = False
    run = run_spec(cfg)
    sse = run.by_name("mlp-aws-data-sse")
    (rule,) = sse.inputs["rules"]
    assert rule["applyServerSideEncryptionByDefault"] == {"sseAlgorithm": "AES256"}
    assert rule["bucketKeyEnabled"] is False
    # The key still encrypts EKS secrets and images.
    assert (
        run.one("aws:eks/cluster:Cluster").inputs["encryptionConfig"]["provider"]["keyArn"]
        == run.one("aws:kms/key:Key").state["arn"]
    )


def test_access_logs_go_to_a_locked_down_bucket_only_s3_log_delivery_writes(run_spec, base_config):
    """#18.14: server access logs, kept 365 days, in a bucket of their own."""
    run = run_spec(base_config("aws"))
    data, logs = run.by_name("mlp-aws-data-bucket"), run.by_name("mlp-aws-data-access-logs-bucket")
    delivery = run.one("aws:s3/bucketLogging:BucketLogging")
    assert delivery.inputs["bucket"] == data.id and delivery.inputs["targetBucket"] == logs.id
    assert delivery.inputs["targetPrefix"] == "s3-access/"
    sse = run.by_name("mlp-aws-data-access-logs-sse").inputs["rules"][0]
    assert sse["applyServerSideEncryptionByDefault"]["kmsMasterKeyId"] == _key(run).state["arn"]
    pab = run.by_name("mlp-aws-data-access-logs-public-access").inputs
    assert all(pab[f] is True for f in ("blockPublicAcls", "blockPublicPolicy"))
    lc = run.by_name("mlp-aws-data-access-logs-lifecycle").inputs["rules"][0]
    assert lc["expiration"]["days"] == 365
    policy = json.loads(run.by_name("mlp-aws-data-access-logs-policy").inputs["policy"])
    (allow,) = [s for s in policy["Statement"] if s["Effect"] == "Allow"]
    assert allow["Principal"] == {"Service": "logging.s3.amazonaws.com"}
    assert allow["Action"] == "s3:PutObject"
    assert allow["Resource"] == f"{logs.state['arn']}/s3-access/*"
    assert allow["Condition"]["ArnLike"]["aws:SourceArn"] == data.state["arn"]
    assert {s["Sid"] for s in policy["Statement"]} >= {"DenyInsecureTransport"}
