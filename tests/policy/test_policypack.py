"""The CrossGuard glue: CrossGuard's callback arguments mapped onto the same rule functions.

The mapping is tested here with stand-ins for pulumi-policy's argument objects
(the project's venv cannot hold pulumi-policy); where the pack's own venv exists
(`policypack/.venv`), the pack is also run through pulumi-policy's real analyzer.
"""

from __future__ import annotations

import importlib.util
import json
import subprocess
from collections.abc import Iterator, Mapping
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
import yaml
from typer.testing import CliRunner

from components.policy import RULES, evaluate, get_rule
from stacks.cli import app
from tests.policy.helpers import ALL_FLAGS, EXPECTED, weakened

PACK = Path(__file__).resolve().parents[2] / "policypack"
PACK_PYTHON = PACK / ".venv" / "bin" / "python"
UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9"


def _load_glue():
    spec = importlib.util.spec_from_file_location("pioneer_policypack_glue", PACK / "crossguard.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


glue = _load_glue()


class FakeProxy(Mapping):
    """Like pulumi-policy's props proxy: raises on unknown values, hands out `__target`."""

    def __init__(self, target: dict[str, Any]):
        self._target = target

    def __getitem__(self, key: str) -> Any:
        if key == "__target":
            return self._target
        if self._target[key] == UNKNOWN:
            raise RuntimeError(f"unknown value at .{key}")
        return self._target[key]

    def __iter__(self) -> Iterator[str]:
        return iter(self._target)

    def __len__(self) -> int:
        return len(self._target)


def resource(type_: str, name: str, props: dict[str, Any], **extra: Any) -> SimpleNamespace:
    return SimpleNamespace(
        resource_type=type_,
        name=name,
        urn=f"urn:pulumi:s::p::{type_}::{name}",
        props=FakeProxy(props),
        provider=None,
        parent=None,
        dependencies=[],
        **extra,
    )


class Reports:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str | None]] = []

    def __call__(self, message: str, urn: str | None = None) -> None:
        self.seen.append((message, urn))


def test_every_rule_becomes_one_policy_of_the_right_kind():
    resource_rules = {r.id for r in RULES if r.is_resource_rule}
    stack_rules = {r.id for r in RULES if not r.is_resource_rule}
    assert resource_rules and stack_rules and resource_rules | stack_rules == {r.id for r in RULES}
    assert "identity-no-subscription-scope" in resource_rules
    assert {"storage-no-public-access", "cost-within-budget", "tags-required"} <= stack_rules


def test_resource_validation_reports_the_rule_message():
    validate = glue.resource_validator(get_rule("identity-no-subscription-scope"))
    report = Reports()
    validate(
        resource(
            "azure-native:authorization:RoleAssignment",
            "ra",
            {"scope": "/subscriptions/0000", "principalId": "p"},
        ),
        report,
    )
    assert len(report.seen) == 1 and "/subscriptions/0000" in report.seen[0][0]
    report = Reports()
    validate(
        resource(
            "azure-native:authorization:RoleAssignment",
            "ra",
            {"scope": "/subscriptions/0000/resourceGroups/rg"},
        ),
        report,
    )
    assert report.seen == []


def test_resource_validation_ignores_other_types():
    validate = glue.resource_validator(get_rule("identity-no-long-lived-keys"))
    report = Reports()
    validate(resource("aws:s3/bucket:Bucket", "b", {}), report)
    assert report.seen == []


def test_unknown_values_reach_the_rules_as_sentinels_not_errors():
    assert glue.plain(FakeProxy({"a": UNKNOWN, "b": [FakeProxy({"c": UNKNOWN})]})) == {
        "a": UNKNOWN,
        "b": [{"c": UNKNOWN}],
    }


def stack_args(resources: list[SimpleNamespace], config: dict | None = None) -> SimpleNamespace:
    return SimpleNamespace(resources=resources, get_config=lambda: config or {})


def test_stack_validation_links_s3_companions_through_dependencies():
    """In a preview the block's `bucket` is unknown: the dependency is the link."""
    bucket = resource("aws:s3/bucket:Bucket", "data", {})
    block = resource(
        "aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock",
        "pab",
        {"bucket": UNKNOWN, **ALL_FLAGS},
    )
    validate = glue.stack_validator(get_rule("storage-no-public-access"), spec_loader=lambda: None)
    report = Reports()
    validate(stack_args([bucket]), report)
    assert report.seen == [("Bucket 'data' has no aws.s3.BucketPublicAccessBlock", bucket.urn)]
    block.dependencies = [bucket]
    report = Reports()
    validate(stack_args([bucket, block]), report)
    assert report.seen == []


def test_stack_validation_reads_default_tags_from_the_provider():
    provider = SimpleNamespace(
        resource_type="pulumi:providers:aws",
        urn="urn:pulumi:s::p::pulumi:providers:aws::aws",
        name="aws",
        props=FakeProxy(
            {"defaultTags": json.dumps({"tags": {"pioneer:stack": "s", "pioneer:component": "c"}})}
        ),
    )
    bucket = resource("aws:s3/bucket:Bucket", "data", {})
    validate = glue.stack_validator(get_rule("tags-required"), spec_loader=lambda: None)
    report = Reports()
    validate(stack_args([bucket]), report)
    assert len(report.seen) == 1
    bucket.provider = provider
    report = Reports()
    validate(stack_args([bucket]), report)
    assert report.seen == []


def test_policy_config_reaches_the_rule():
    """`--policy-pack-config` settings: the required tags of a non-pioneer stack."""
    bucket = resource("aws:s3/bucket:Bucket", "data", {"tags": {"owner": "me"}})
    validate = glue.stack_validator(get_rule("tags-required"), spec_loader=lambda: None)
    report = Reports()
    validate(stack_args([bucket], {"requiredTags": ["owner"]}), report)
    assert report.seen == []
    validate(stack_args([bucket], {"requiredTags": ["owner", "team"]}), report)
    assert "lacks tag team" in report.seen[0][0]


def test_a_skipped_rule_reports_nothing():
    validate = glue.stack_validator(get_rule("cost-within-budget"), spec_loader=lambda: None)
    report = Reports()
    validate(
        stack_args([resource("aws:s3/bucket:Bucket", "data", {})]), report
    )  # no budget anywhere
    assert report.seen == []


def test_pack_files_are_in_the_pulumi_layout():
    meta = yaml.safe_load((PACK / "PulumiPolicy.yaml").read_text())
    assert (
        meta["runtime"]["name"] == "python" and meta["runtime"]["options"]["virtualenv"] == ".venv"
    )
    requirements = (PACK / "requirements.txt").read_text()
    assert "pulumi-policy" in requirements
    main = (PACK / "__main__.py").read_text()
    assert "PolicyPack(" in main and "build_policies()" in main


needs_pack_venv = pytest.mark.skipif(
    not PACK_PYTHON.exists(), reason="policypack/.venv not created (see docs/policy.md)"
)


@needs_pack_venv
def test_the_real_pulumi_policy_sdk_accepts_every_policy():
    code = (
        "import sys; sys.path[:0] = ['policypack', '.']\n"
        "from crossguard import build_policies\n"
        "print(' '.join(f'{type(p).__name__}:{p.name}:{p.enforcement_level.value}' "
        "for p in build_policies()))"
    )
    out = subprocess.run(
        [str(PACK_PYTHON), "-c", code], cwd=PACK.parent, capture_output=True, text=True, check=True
    ).stdout.split()
    expected = {
        f"{'Resource' if r.is_resource_rule else 'Stack'}ValidationPolicy:{r.id}:{r.severity}"
        for r in RULES
    }
    assert set(out) == expected


@needs_pack_venv
@pytest.mark.parametrize("cloud", ["aws", "gcp"])
def test_the_pack_through_pulumi_policys_analyzer_agrees_with_pioneer_plan(tmp_path, cloud):
    """Weakened stacks: the same mandatory (rule, resource) pairs from both paths. On gcp the
    pack cannot build the spec (its validation imports pulumi_gcp), so it reads the budget and
    the opted-in pools from the stack config directly."""
    stack_file = weakened(tmp_path, cloud)
    result = CliRunner().invoke(app, ["plan", str(stack_file), "--json"])
    assert result.exit_code == 0, result.output
    plan_file = tmp_path / "plan.json"
    plan_file.write_text(result.stdout)
    doc = json.loads(result.stdout)

    pack = json.loads(
        subprocess.run(
            [
                str(PACK_PYTHON),
                str(PACK / "selftest.py"),
                str(plan_file),
                "--stack-config",
                str(stack_file),
            ],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
    )

    def mandatory(violations: list[dict]) -> set[tuple[str, str]]:
        return {(v["rule"], v["urn"]) for v in violations if v["severity"] == "mandatory"}

    assert mandatory(pack["violations"]) == mandatory(doc["policy"]["violations"])
    assert {r for r, _ in mandatory(pack["violations"])} == EXPECTED
    assert evaluate(doc)["mandatory"] >= 1  # without the spec the public storage is still caught
