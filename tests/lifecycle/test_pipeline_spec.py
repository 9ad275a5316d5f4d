"""The pipeline spec is validated at the edge: every problem named by its field path."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml
from typer.testing import CliRunner

from lifecycle.pipeline.spec import PipelineSpec, PipelineSpecError
from stacks.cli import app

SPEC_FILE = Path(__file__).resolve().parents[2] / "pipelines" / "digits.yaml"


def doc() -> dict:
    return yaml.safe_load(SPEC_FILE.read_text())


def test_the_reference_spec_is_valid() -> None:
    spec = PipelineSpec.load(SPEC_FILE)
    assert spec.registry.model == "digits" and spec.schedule.enabled is False


def test_every_problem_is_reported_with_its_field_path() -> None:
    d = doc()
    d["promotion"] = "auto"
    d["gates"]["min"] = {"acuracy": 0.9}
    d["dataset"]["location"] = "data.parquet"
    d["training"]["args"] = ["--max-steps", "many"]
    with pytest.raises(PipelineSpecError) as err:
        PipelineSpec.parse(d)
    msg = str(err.value)
    assert "promotion: 'auto' is not one of 'automatic', 'manual'" in msg
    assert "gates.min.acuracy: 'acuracy' is not one of 'accuracy'" in msg
    assert "dataset.location: 'data.parquet': expected sklearn:digits or a .csv" in msg


def test_bad_training_arguments_are_a_spec_error() -> None:
    d = doc()
    d["training"]["args"] = ["--max-steps", "many"]
    with pytest.raises(PipelineSpecError, match="training.args: argument --max-steps"):
        PipelineSpec.parse(d)


def test_a_region_outside_the_residency_zone_is_rejected() -> None:
    d = doc()
    d["data_residency"] = "eu"
    d["gates"]["estimate_region"] = "us-east-1"
    with pytest.raises(PipelineSpecError, match="gates.estimate_region: 'us-east-1' is outside"):
        PipelineSpec.parse(d)
    d["gates"]["estimate_region"] = "eu-west-1"
    assert PipelineSpec.parse(d).data_residency == "eu"


def test_the_cli_reports_a_bad_spec_in_one_message_with_exit_2(tmp_path: Path) -> None:
    d = doc()
    d["promotion"] = "sometimes"
    bad = tmp_path / "bad.yaml"
    bad.write_text(yaml.safe_dump(d))
    out = CliRunner().invoke(app, ["pipeline", "run", str(bad), "--store", str(tmp_path / "s")])
    assert out.exit_code == 2
    assert "promotion: 'sometimes' is not one of" in out.output and "Traceback" not in out.output
    assert not (tmp_path / "s").exists()  # nothing half-created
