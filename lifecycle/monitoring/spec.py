"""The monitoring spec and its one validation edge.

The statistics come from scipy.stats (two-sample Kolmogorov–Smirnov per
feature, chi-square goodness of fit for the predicted classes); docs/monitoring.md
says why not Evidently, alibi-detect or NannyML.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator


class MonitorSpecError(ValueError):
    """Every problem in one monitoring spec, each naming its field."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("invalid monitoring spec:\n" + "\n".join(f"  - {e}" for e in errors))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DataQuality(_Model):
    """Schema, missing values and ranges of every request's features."""

    features: int = Field(default=64, ge=1, description="feature count every request must have")
    min_value: float = 0.0
    max_value: float = 1.0
    max_schema_error_share: float = Field(default=0.0, ge=0, le=1)
    max_missing_share: float = Field(default=0.0, ge=0, le=1)
    max_out_of_range_share: float = Field(default=0.0, ge=0, le=1)

    @model_validator(mode="after")
    def _range(self) -> DataQuality:
        if self.min_value >= self.max_value:
            raise ValueError(f"min_value {self.min_value} must be below max_value {self.max_value}")
        return self


class FeatureDrift(_Model):
    """Two-sample Kolmogorov–Smirnov test per feature against the training split.

    A feature drifts when its p-value is below `threshold`; the window drifts
    when at least `drift_share` of the features do (one noisy pixel is not drift).
    """

    threshold: float = Field(default=0.001, gt=0, lt=1)
    drift_share: float = Field(default=0.2, gt=0, le=1, description="share of features")


class PredictionDrift(_Model):
    """Chi-square goodness of fit of predicted-class counts to the eval set's; breach when p < threshold."""

    threshold: float = Field(default=0.001, gt=0, lt=1)


class ModelQuality(_Model):
    """Accuracy on requests whose ground-truth label has arrived, vs the baseline's eval set."""

    max_accuracy_drop: float = Field(default=0.05, ge=0, le=1)
    min_labels: int = Field(default=30, ge=1)


class Service(_Model):
    p95_latency_ms: float = Field(default=250.0, gt=0)
    max_error_rate: float = Field(default=0.01, ge=0, le=1)


class Checks(_Model):
    data_quality: DataQuality = DataQuality()
    feature_drift: FeatureDrift = FeatureDrift()
    prediction_drift: PredictionDrift = PredictionDrift()
    model_quality: ModelQuality = ModelQuality()
    service: Service = Service()


class OnBreach(_Model):
    """`alert`: record and alarm only. `retrain`: also start `pipeline` (once per breach)."""

    action: Literal["alert", "retrain"] = "alert"
    pipeline: str | None = Field(default=None, description="pipeline spec file to run")
    cooldown_minutes: float = Field(default=60.0, ge=0)
    checks: tuple[
        Literal["data_quality", "feature_drift", "prediction_drift", "model_quality", "service"],
        ...,
    ] = (
        "feature_drift",
        "prediction_drift",
        "model_quality",
    )

    @model_validator(mode="after")
    def _pipeline(self) -> OnBreach:
        if self.action == "retrain" and not self.pipeline:
            raise ValueError("action 'retrain' needs on_breach.pipeline (a pipeline spec file)")
        return self


class MonitoringSpec(_Model):
    """What to check on captured traffic, how often, and what a breach does."""

    window: int = Field(default=200, ge=20, le=100_000, description="newest requests checked")
    schedule: Literal["hourly", "daily"] = "hourly"
    checks: Checks = Checks()
    on_breach: OnBreach = OnBreach()

    @classmethod
    def parse(cls, doc: dict[str, Any] | None) -> MonitoringSpec:
        try:
            return cls.model_validate(doc or {})
        except ValidationError as e:
            raise MonitorSpecError([_describe(err) for err in e.errors()]) from None

    @classmethod
    def load(cls, path: Path | str) -> MonitoringSpec:
        path = Path(path)
        try:
            doc = yaml.safe_load(path.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise MonitorSpecError([f"{path}: not YAML ({e})"]) from None
        if doc is not None and not isinstance(doc, dict):
            raise MonitorSpecError([f"{path}: must be a mapping of monitoring settings"])
        return cls.parse((doc or {}).get("monitoring", doc))


def _describe(err: Any) -> str:
    where = ".".join(str(p) for p in err["loc"]) or "monitoring"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        msg = "unknown setting"
    return f"{where}: {msg}"
