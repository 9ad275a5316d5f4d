"""The shared lifecycle contracts: a tamper-evident audit log and one capture format."""

from __future__ import annotations

import json

import pytest

from lifecycle import capture
from lifecycle.audit import AuditLog
from lifecycle.registry import ModelRef, RefError, parse_ref


def _log(tmp_path, n=3):
    log = AuditLog(tmp_path / "audit.jsonl")
    for i in range(n):
        log.append("register", f"digits:{i + 1}", "pipeline run", {"accuracy": 0.9}, actor="ci")
    return log


def test_an_untouched_log_verifies(tmp_path):
    v = _log(tmp_path).verify()
    assert v.ok and v.entries == 3 and v.problems == []


def test_an_edited_entry_is_detected(tmp_path):
    log = _log(tmp_path)
    lines = log.path.read_text().splitlines()
    doc = json.loads(lines[1])
    doc["reason"] = "nobody asked"
    lines[1] = json.dumps(doc)
    log.path.write_text("\n".join(lines) + "\n")
    v = log.verify()
    assert not v.ok and any("entry 1" in p and "edited" in p for p in v.problems)


def test_a_deleted_entry_is_detected(tmp_path):
    log = _log(tmp_path)
    lines = log.path.read_text().splitlines()
    log.path.write_text("\n".join([lines[0], lines[2]]) + "\n")
    assert not log.verify().ok


def test_cutting_off_the_newest_entry_is_detected(tmp_path):
    log = _log(tmp_path)
    lines = log.path.read_text().splitlines()
    log.path.write_text("\n".join(lines[:2]) + "\n")
    v = log.verify()
    assert not v.ok and any("newest entries removed" in p for p in v.problems)


def test_unknown_actions_are_refused(tmp_path):
    with pytest.raises(ValueError, match="not one of"):
        AuditLog(tmp_path / "a.jsonl").append("delete", "digits:1", "why not")


def test_capture_records_round_trip_in_sagemaker_format(tmp_path):
    w = capture.CaptureWriter(tmp_path / "cap" / "part-0.jsonl")
    w.write(capture.record({"inputs": [[0.0] * 64]}, {"predictions": [3]}, meta={"version": 2}))
    doc = json.loads((tmp_path / "cap" / "part-0.jsonl").read_text())
    assert doc["captureData"]["endpointInput"]["mode"] == "INPUT"
    assert doc["eventVersion"] == "0"
    (got,) = list(capture.read(tmp_path / "cap"))
    assert got.inputs == {"inputs": [[0.0] * 64]}
    assert got.outputs == {"predictions": [3]} and got.meta == {"version": 2}


def test_a_broken_capture_line_names_file_and_line(tmp_path):
    f = tmp_path / "c.jsonl"
    f.write_text('{"captureData": {}}\nnot json\n')
    with pytest.raises(ValueError, match=r"c.jsonl:2"):
        list(capture.read(f))


@pytest.mark.parametrize(
    "text,ref",
    [
        ("digits", ModelRef("digits", alias="production")),
        ("digits:candidate", ModelRef("digits", alias="candidate")),
        ("digits:7", ModelRef("digits", version=7)),
    ],
)
def test_model_references(text, ref):
    assert parse_ref(text) == ref


@pytest.mark.parametrize("bad", ["", "digits:", "di gits", "digits:-x"])
def test_bad_model_references_say_the_form(bad):
    with pytest.raises(RefError, match="model reference"):
        parse_ref(bad)
