"""The engine: document in, findings out; and the rule catalogue itself."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from components.policy import RULES, Resource, Rule, evaluate, get_rule, mandatory_rule_ids
from components.policy.build_taggable import PACKAGES, scan
from components.policy.model import as_bool, as_list, get
from components.policy.tags import taggable_types
from tests.policy.helpers import doc_of, res

README = Path(__file__).resolve().parents[2] / "docs" / "readme" / "policy.md"


def test_result_shape_counts_and_order(shipped_spec):
    doc = doc_of(
        res("aws:iam/accessKey:AccessKey", "key", {"user": "ci"}),
        res("aws:kms/key:Key", "k", {"enableKeyRotation": False}),
        cost={"monthly_usd": 1.0},
    )
    result = evaluate(doc, shipped_spec("aws-dev"))
    assert set(result) == {"violations", "mandatory", "advisory", "rules_checked", "skipped"}
    rules = [v["rule"] for v in result["violations"]]
    # mandatory first, then by rule id; the access key takes no tags, the KMS key does
    assert rules == ["identity-no-long-lived-keys", "tags-required", "storage-key-rotation"]
    assert (result["mandatory"], result["advisory"]) == (2, 1)
    assert result["rules_checked"] == len(RULES) and result["skipped"] == []
    assert all(set(v) == {"rule", "severity", "urn", "message"} for v in result["violations"])
    assert mandatory_rule_ids(result) == ["identity-no-long-lived-keys", "tags-required"]


def test_a_real_preview_document_with_deletes_and_same_steps():
    kept = res("aws:iam/accessKey:AccessKey", "old", {})
    doc = {
        "steps": [
            {"op": "same", "urn": kept["urn"], "oldState": kept, "newState": kept},
            {
                "op": "delete",
                "urn": "urn:pulumi:test::pioneer::aws:iam/accessKey:AccessKey::gone",
                "oldState": {"type": "aws:iam/accessKey:AccessKey", "inputs": {}},
            },
        ]
    }
    result = evaluate(doc, rules=[get_rule("identity-no-long-lived-keys")])
    assert [v["urn"] for v in result["violations"]] == [
        kept["urn"]
    ]  # what is deleted is not judged


@pytest.mark.parametrize(
    "doc,message",
    [
        ({}, "expected a mapping with a 'steps' list"),
        ({"steps": "x"}, "expected a mapping with a 'steps' list"),
        ({"steps": [{"newState": {"urn": "u"}}]}, "steps[0].newState needs a 'type'"),
    ],
)
def test_bad_documents_are_refused_with_the_field(doc, message):
    with pytest.raises(ValueError, match=re.escape(message)):
        evaluate(doc)


def test_resource_record_defaults_its_name_from_the_urn():
    r = Resource.from_record(
        {"type": "t:m:R", "urn": "urn:pulumi:s::p::t:m:R::my-name", "inputs": {}}
    )
    assert r.name == "my-name" and r.dependencies == ()


def test_input_helpers_read_every_shape_the_engine_sends():
    assert get({"a": '{"b": {"c": 1}}'}, "a.b.c") == 1  # provider inputs are JSON strings
    assert get({"a": {"b": None}}, "a.b", "default") == "default"
    assert as_bool("true") is True and as_bool(False) is False and as_bool("yes") is None
    assert as_list(None) == [] and as_list("x") == ["x"] and as_list('["a","b"]') == ["a", "b"]


def test_every_rule_is_well_formed():
    ids = [r.id for r in RULES]
    assert len(ids) == len(set(ids))
    for rule in RULES:
        assert rule.description.strip() and rule.fix.strip(), rule.id
        assert rule.severity in ("mandatory", "advisory")
    areas = {r.area for r in RULES}
    assert areas == {"storage", "identity", "compute", "cost", "tags"}


def test_a_rule_must_say_its_area_and_a_valid_severity():
    with pytest.raises(ValueError, match="severity"):
        Rule("storage-x", "blocking", "storage", "d", "f", check_stack=lambda s: [])  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="must start with its area"):
        Rule("x-storage", "advisory", "storage", "d", "f", check_stack=lambda s: [])
    with pytest.raises(ValueError, match="needs check_resource or check_stack"):
        Rule("storage-x", "advisory", "storage", "d", "f")


def test_unknown_rule_id_lists_the_rules():
    with pytest.raises(KeyError, match="storage-no-public-access"):
        get_rule("storage-nope")


def test_readme_lists_every_rule_with_its_severity():
    # The rule table lives in the policy page; rules added with a feature are listed in that
    # feature's page (docs/<topic>.md) until the integrator folds them in.
    docs = README.parents[1]
    text = "\n".join(p.read_text() for p in sorted(docs.rglob("*.md")))
    for rule in RULES:
        assert re.search(rf"\| `{re.escape(rule.id)}` \| {rule.severity} \|", text), rule.id


def test_taggable_index_matches_the_installed_sdks():
    """data/taggable.json is rebuilt from the SDKs; a provider upgrade without a rebuild fails here."""
    rebuilt: dict[str, str] = {}
    for package in PACKAGES:
        rebuilt.update(scan(package))
    shipped = taggable_types()
    changed = sorted(set(rebuilt.items()) ^ set(shipped.items()))
    assert not changed, (
        f"{len(changed)} differences, e.g. {changed[:3]}; "
        "run .venv/bin/python -m components.policy.build_taggable"
    )
