"""The pipeline spec (`pipelines/<name>.yaml`), validated once at the edge.

Every problem is reported at once as `field.path: what is allowed`, like the
platform spec (components/spec.py). Code after `PipelineSpec.load` trusts it.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from components.spec import SpecError, _path
from training.job import TrainingJob

Metric = Literal["accuracy", "precision", "recall", "latency_ms"]
METRICS: tuple[Metric, ...] = ("accuracy", "precision", "recall", "latency_ms")
# What a gate may compare: the evaluation's summary figures.
GATE_METRICS = ("accuracy", "macro_precision", "macro_recall", "latency_ms_p50", "latency_ms_p95")
HIGHER_IS_BETTER = {"accuracy": True, "macro_precision": True, "macro_recall": True}
SKLEARN_DIGITS = "sklearn:digits"
RESIDENCY = {  # region prefixes per residency zone, for every cloud's region names
    "eu": (
        "eu-",
        "europe-",
        "westeurope",
        "northeurope",
        "francecentral",
        "germanywestcentral",
        "swedencentral",
        "italynorth",
        "polandcentral",
        "spaincentral",
    ),
}
NAME_RE = re.compile(r"^[a-z][a-z0-9-]{0,40}$")


class PipelineSpecError(SpecError):
    def __init__(self, errors: list[str], source: str = "pipeline spec"):
        self.errors = errors
        ValueError.__init__(self, f"invalid {source}:\n" + "\n".join(f"  - {e}" for e in errors))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class DatasetSchema(_Model):
    """Columns: `features` numeric columns, then the label (CSV without a header)."""

    features: int = Field(ge=1, description="number of feature columns")
    min: float = Field(description="smallest allowed feature value")
    max: float = Field(description="largest allowed feature value")
    classes: list[int] = Field(min_length=2, description="allowed label values")
    max_null_fraction: float = Field(default=0.0, ge=0, le=1)
    min_class_fraction: float = Field(
        default=0.0, ge=0, le=1, description="each class must be at least this share of the rows"
    )


class DatasetSpec(_Model):
    location: str = Field(description=f"{SKLEARN_DIGITS} or a CSV file (.csv, .csv.gz)")
    version: str = Field(min_length=1)
    expected_schema: DatasetSchema = Field(alias="schema")

    @field_validator("location")
    @classmethod
    def _location(cls, v: str) -> str:
        if v != SKLEARN_DIGITS and not v.endswith((".csv", ".csv.gz")):
            raise ValueError(f"{v!r}: expected {SKLEARN_DIGITS} or a .csv / .csv.gz file")
        return v


class TrainingSpec(_Model):
    """The existing job format (training/job.py) plus how many processes to use here."""

    name: str = "pioneer-train"
    args: list[str] = Field(default_factory=list, description="arguments of training/train.py")
    accelerator: str | None = None
    accelerators_per_node: int = Field(default=1, ge=1)
    nodes: int = Field(default=1, ge=1)
    capacity: Literal["spot", "on_demand"] = "on_demand"
    max_run_hours: float = Field(default=1.0, gt=0)
    pool: str | None = Field(
        default=None, description="node pool (Kubernetes, Azure ML cluster) or 'serverless'"
    )
    local_processes: int = Field(
        default=1, ge=1, le=8, description="torchrun processes on this machine"
    )

    def job(self) -> TrainingJob:
        return TrainingJob(
            name=self.name,
            args=tuple(self.args),
            accelerator=self.accelerator,
            accelerators_per_node=self.accelerators_per_node,
            nodes=self.nodes,
            capacity=self.capacity,
            max_run_hours=self.max_run_hours,
            max_wait_hours=max(self.max_run_hours, 48.0),
            pool=self.pool,
        )


class EvaluationSpec(_Model):
    split: Literal["test"] = Field(
        default="test", description="the held-out split training never sees"
    )
    metrics: list[Metric] = Field(default_factory=lambda: list(METRICS))
    latency_samples: int = Field(
        default=200, ge=1, le=10000, description="single predictions timed"
    )


GateMetric = Literal[
    "accuracy", "macro_precision", "macro_recall", "latency_ms_p50", "latency_ms_p95"
]


class GateSpec(_Model):
    min: dict[GateMetric, float] = Field(default_factory=dict, description="metric >= value")
    max: dict[GateMetric, float] = Field(default_factory=dict, description="metric <= value")
    no_worse_than_production: dict[GateMetric, float] = Field(
        default_factory=dict, description="largest allowed regression vs production"
    )
    max_training_cost_usd: float | None = Field(default=None, ge=0)
    max_training_carbon_kg: float | None = Field(default=None, ge=0)
    estimate_cloud: Literal["aws", "gcp", "azure"] = Field(
        default="aws", description="cloud whose prices and grid price the training job"
    )
    estimate_region: str | None = None


class RegistrySpec(_Model):
    model: str = Field(pattern=r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}$")
    intended_use: str = Field(
        default="Demonstration classifier for 8x8 handwritten digit images.",
        description="for the model card",
    )


class ScheduleSpec(_Model):
    """Provisioned by each cloud's platform (components/<cloud>/pipelines.py); off by default."""

    enabled: bool = False
    cron: str | None = Field(default=None, description="five-field cron, e.g. '0 3 * * 1'")
    on_new_data: bool = Field(
        default=False, description="run when objects land under the data prefix"
    )
    data_prefix: str = "datasets/"


class PipelineSpec(_Model):
    name: str
    dataset: DatasetSpec
    training: TrainingSpec
    evaluation: EvaluationSpec = Field(default_factory=EvaluationSpec)
    gates: GateSpec = Field(default_factory=GateSpec)
    registry: RegistrySpec
    promotion: Literal["automatic", "manual"] = "manual"
    data_residency: Literal["eu"] | None = None
    schedule: ScheduleSpec = Field(default_factory=ScheduleSpec)

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not NAME_RE.match(v):
            raise ValueError(f"{v!r}: lowercase letters, digits and '-', starting with a letter")
        return v

    @classmethod
    def parse(cls, doc: Any, source: str = "pipeline spec") -> PipelineSpec:
        if not isinstance(doc, Mapping):
            raise PipelineSpecError([f"spec: expected a mapping, got {type(doc).__name__}"], source)
        try:
            spec = cls.model_validate(dict(doc))
        except ValidationError as e:
            raise PipelineSpecError([_format(err) for err in e.errors()], source) from None
        problems = _semantic_errors(spec)
        if problems:
            raise PipelineSpecError(problems, source)
        return spec

    @classmethod
    def load(cls, path: str | Path) -> PipelineSpec:
        p = Path(path)
        if not p.is_file():
            raise FileNotFoundError(f"no pipeline spec at {p}")
        try:
            doc = yaml.safe_load(p.read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise PipelineSpecError([f"not valid YAML ({e})"], str(p)) from None
        return cls.parse(doc, str(p))

    @property
    def estimate_region(self) -> str | None:
        return self.gates.estimate_region


def residency_allows(zone: str | None, region: str) -> bool:
    return zone is None or region.startswith(RESIDENCY[zone])


def _format(err: Mapping[str, Any]) -> str:
    loc = tuple(
        p
        for p in err["loc"]
        if not (isinstance(p, str) and (p.startswith("function-") or p == "[key]"))
    )
    kind, msg = err["type"], err["msg"]
    if kind == "value_error":
        msg = str(err.get("ctx", {}).get("error", msg))
    elif kind == "literal_error":
        msg = f"{err['input']!r} is not one of {err['ctx']['expected'].replace(' or ', ', ')}"
    elif kind == "extra_forbidden":
        msg = "unknown field"
    elif kind == "missing":
        msg = "required field is missing"
    return f"{_path(loc)}: {msg}"


def _semantic_errors(spec: PipelineSpec) -> list[str]:
    from training.args import check

    problems = []
    s = spec.dataset.expected_schema
    if s.min > s.max:
        problems.append(f"dataset.schema.min: {s.min} is above dataset.schema.max {s.max}")
    args = list(spec.training.args)
    if "--output-dir" in args or any(a.startswith("--output-dir=") for a in args):
        problems.append("training.args: --output-dir is chosen by the pipeline (step cache)")
    try:
        parsed = check([*args, "--tracking", "none"])
    except ValueError as e:  # TrainArgsError: every bad flag, named
        problems.append(f"training.args: {e}")
    else:
        if parsed.model != "digits":
            problems.append(
                f"training.args: --model {parsed.model}: the evaluation step scores classifiers; "
                "allowed: digits"
            )
    region = spec.gates.estimate_region
    if region and not residency_allows(spec.data_residency, region):
        problems.append(
            f"gates.estimate_region: {region!r} is outside data_residency "
            f"{spec.data_residency!r} (allowed: regions starting "
            f"{', '.join(RESIDENCY[spec.data_residency or 'eu'][:2])}…)"
        )
    return problems
