"""The one plan document: a record type and a reader that cost, policy, CrossGuard and the
offline preview all share."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from components.policy.model import Resource
from plan_document import PlannedResource, PreviewFormatError, load_preview, parse_preview
from stacks.plan import preview_document, run_plan

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = ROOT / "tests" / "cost" / "fixtures"


def test_the_offline_plan_round_trips_through_the_reader():
    plan = run_plan("aws-dev")
    assert all(isinstance(r, PlannedResource) for r in plan.run.resources)
    parsed = parse_preview(json.loads(json.dumps(preview_document(plan))))
    assert parsed[0].type == "pulumi:pulumi:Stack" and parsed[0].custom is False
    by_urn = {r.urn: r for r in parsed[1:]}
    assert len(by_urn) == len(plan.run.resources)
    for r in plan.run.resources:
        back = by_urn[r.urn]
        assert (back.type, back.name, back.custom, back.provider or "") == (
            r.type,
            r.name,
            r.custom,
            r.provider,
        )
        assert dict(back.inputs) == dict(r.inputs)
        assert back.dependencies == r.dependencies
        assert back.parent == (r.parent or plan.stack_urn)


def test_the_policy_rules_read_the_same_record_type():
    assert Resource is PlannedResource


def test_deleted_steps_are_left_out_and_kept_ones_read_from_either_state():
    kept = {
        "type": "aws:s3/bucketV2:BucketV2",
        "urn": "urn:pulumi:s::p::aws:s3/bucketV2:BucketV2::b",
    }
    doc = {
        "steps": [
            {"op": "same", "urn": kept["urn"], "oldState": kept},
            {"op": "delete", "urn": "u2", "oldState": {"type": "aws:iam/role:Role", "urn": "u2"}},
            {"op": "create", "urn": "urn:x::y", "newState": {"type": "t:m:R", "custom": False}},
        ]
    }
    res = parse_preview(doc)
    assert [r.urn for r in res] == [kept["urn"], "urn:x::y"]
    assert res[0].name == "b" and res[0].custom is True and res[1].custom is False


@pytest.mark.parametrize(
    "doc,where",
    [
        ({"resources": []}, "expected a mapping with a 'steps' list"),
        ({"steps": ["x"]}, "steps[0]: expected an object"),
        (
            {"steps": [{"op": "create", "newState": {"urn": "u"}}]},
            "steps[0].newState needs a 'type'",
        ),
    ],
)
def test_bad_documents_name_the_step(doc, where):
    with pytest.raises(PreviewFormatError) as e:
        parse_preview(doc)
    assert where in str(e.value)


def test_load_preview_reads_a_file_and_refuses_non_json(tmp_path):
    assert parse_preview(load_preview(FIXTURES / "aws-preview.json"))
    bad = tmp_path / "plan.json"
    bad.write_text("{not json")
    with pytest.raises(PreviewFormatError, match="not JSON"):
        load_preview(bad)


def test_the_module_imports_only_the_standard_library():
    """The CrossGuard pack imports it from a venv with neither pydantic nor the cloud SDKs."""
    code = (
        "import sys, plan_document; "
        "print([m for m in sys.modules if m.split('.')[0] in "
        "('cost', 'components', 'stacks', 'training', 'pulumi', 'pydantic', 'yaml')])"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "[]"
