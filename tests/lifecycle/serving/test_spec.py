"""The serving spec's one validation edge: every problem at once, each naming its field."""

from __future__ import annotations

from pathlib import Path

import pytest

from lifecycle.serving.spec import ServingSpec, ServingSpecError

EXAMPLE = Path(__file__).parents[3] / "examples" / "serving" / "digits.yaml"


def test_serving_is_off_by_default_and_the_example_is_valid():
    assert ServingSpec.parse(None).enabled is False
    example = ServingSpec.load(EXAMPLE)
    assert example.enabled and example.capture.encrypted and example.private


def test_every_problem_is_reported_with_its_field():
    with pytest.raises(ServingSpecError) as e:
        ServingSpec.parse(
            {
                "name": "X",
                "accelerator": "H1000",
                "autoscaling": {"min_replicas": 4, "max_replicas": 2},
                "canary": {"traffic_percent": 10, "steps": [50, 10]},
                "rollback": {"metric": "error_rate", "threshold": 5},
            }
        )
    text = str(e.value)
    assert "serving.name: 'X' must be" in text
    assert "serving.accelerator: 'H1000' is not one of" in text
    assert "min_replicas 4 > max_replicas 2" in text
    assert "serving.canary.steps" in text
    assert "serving.rollback.threshold" in text


def test_an_unknown_field_lists_what_is_allowed():
    with pytest.raises(
        ServingSpecError, match=r"serving.capture.bucket: unknown field; allowed: enabled"
    ):
        ServingSpec.parse({"capture": {"bucket": "x"}})


def test_a_bad_model_reference_is_named():
    with pytest.raises(ServingSpecError, match="serving.model: model reference 'a b'"):
        ServingSpec.parse({"model": "a b"})


def test_an_accelerator_picks_each_clouds_one_gpu_type():
    spec = ServingSpec.parse({"accelerator": "T4"})
    assert spec.instance_type("aws", "us-east-1").startswith("g4dn.")
