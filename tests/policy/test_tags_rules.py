"""Tag rule: required tags on every taggable resource, from the resource or its provider."""

from __future__ import annotations

import json

from components.policy.tags import taggable_types
from tests.policy.helpers import findings, res

PLATFORM = {"pioneer:stack": "test", "pioneer:component": "MlPlatform"}


def provider(type_: str, name: str, inputs: dict) -> dict:
    return res(type_, name, inputs)


def provided_by(p: dict) -> str:
    return f"{p['urn']}::{p['id']}"


def test_aws_default_tags_on_the_provider_count():
    # Provider inputs reach the engine as JSON strings (as under the mocks and in previews).
    p = provider(
        "pulumi:providers:aws",
        "aws",
        {"region": "us-east-1", "defaultTags": json.dumps({"tags": PLATFORM})},
    )
    bucket = res("aws:s3/bucket:Bucket", "data", {}, provider=provided_by(p))
    assert findings("tags-required", p, bucket) == []


def test_aws_resource_without_tags_or_default_tags_fails_naming_the_missing_keys():
    bucket = res("aws:s3/bucket:Bucket", "data", {"tags": {"pioneer:stack": "test"}})
    assert findings("tags-required", bucket) == ["Bucket 'data' lacks tag pioneer:component (tags)"]


def test_untaggable_types_are_not_checked():
    assert "aws:s3/bucketPolicy:BucketPolicy" not in taggable_types()
    assert findings("tags-required", res("aws:s3/bucketPolicy:BucketPolicy", "p", {})) == []


def test_the_index_knows_each_clouds_tag_field():
    index = taggable_types()
    assert index["aws:eks/nodeGroup:NodeGroup"] == "tags"
    assert index["gcp:storage/bucket:Bucket"] == "labels"
    assert index["gcp:container/cluster:Cluster"] == "resourceLabels"
    assert index["azure-native:storage:StorageAccount"] == "tags"


def test_gcp_sanitised_label_keys_match():
    labels = {"pioneer-stack": "test", "pioneer-component": "storage", "team": "ml-platform"}
    assert (
        findings("tags-required", res("gcp:storage/bucket:Bucket", "b", {"labels": labels})) == []
    )
    assert findings("tags-required", res("gcp:storage/bucket:Bucket", "b", {"labels": {}}))


def test_gcp_provider_default_labels_count():
    p = provider(
        "pulumi:providers:gcp",
        "gcp",
        {"defaultLabels": json.dumps({"pioneer-stack": "t", "pioneer-component": "c"})},
    )
    bucket = res("gcp:storage/bucket:Bucket", "b", {}, provider=provided_by(p))
    assert findings("tags-required", p, bucket) == []


def test_spec_tags_are_required_too(shipped_spec):
    spec = shipped_spec("azure-dev")  # tags: team, env, cost-center
    tags = {**PLATFORM, "team": "ml-platform", "env": "dev"}
    msgs = findings(
        "tags-required", res("azure-native:storage:StorageAccount", "a", {"tags": tags}), spec=spec
    )
    assert msgs == ["StorageAccount 'a' lacks tag cost-center (tags)"]
    full = res("azure-native:storage:StorageAccount", "a", {"tags": {**tags, "cost-center": "r"}})
    assert findings("tags-required", full, spec=spec) == []


def test_unknown_tags_in_a_preview_are_not_reported():
    bucket = res("aws:s3/bucket:Bucket", "data", {"tags": "04da6b54-80e4-46f7-96ec-b56ff0331ba9"})
    assert findings("tags-required", bucket) == []
