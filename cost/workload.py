"""A training workload for the optimizer: what to compute, by when, for how much, where.

Loaded from YAML (`load_workload(path)`) or a dict (`Workload.parse(d)`); every problem
is reported as `field.path: what is allowed`, all at once, as `WorkloadError`.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    ValidationError,
    field_validator,
    model_validator,
)

from cost.accelerators import ACCELERATORS, canonical
from cost.input_file import parse_yaml, read_input
from cost.scaling import PEAK_TFLOPS, ScalingInputs

CLOUDS = ("aws", "gcp", "azure")
CloudName = Literal["aws", "gcp", "azure"]


def _all_clouds() -> list[CloudName]:
    return ["aws", "gcp", "azure"]


BYTES_PER_PARAM_TRAINING = 16  # bf16 weights + grads, fp32 master weights, Adam moments
ACTIVATION_MARGIN = 1.25


class WorkloadError(ValueError):
    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("invalid workload:\n  " + "\n  ".join(errors))


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ModelSpec(_Strict):
    """Either tokens (6*P*D FLOPs) or measured samples/s on a reference accelerator."""

    parameters: float = Field(gt=0, description="model parameters P")
    tokens: float | None = Field(None, gt=0, description="training tokens D")
    global_batch_tokens: float = Field(1_048_576, gt=0)
    samples: float | None = Field(None, gt=0)
    samples_per_second: float | None = Field(None, gt=0)
    reference_accelerator: str | None = None
    global_batch_samples: float = Field(512, gt=0)
    gradient_bytes_per_parameter: float = Field(2, gt=0)
    mfu: float = Field(0.4, gt=0, le=1, description="model FLOPs utilisation")
    overlap: float = Field(0.5, ge=0, le=1, description="share of compute hiding all-reduce")

    @model_validator(mode="after")
    def _one_size(self) -> ModelSpec:
        measured = (self.samples, self.samples_per_second, self.reference_accelerator)
        if self.tokens is None and None in measured:
            raise ValueError("give tokens, or samples + samples_per_second + reference_accelerator")
        if self.tokens is not None and any(m is not None for m in measured):
            raise ValueError("give tokens or the measured throughput, not both")
        ref = self.reference_accelerator
        if ref is not None and ref not in PEAK_TFLOPS:
            raise ValueError(
                f"reference_accelerator: {ref!r} is not one of {', '.join(PEAK_TFLOPS)}"
            )
        return self


class CheckpointSpec(_Strict):
    size_gib: float = Field(gt=0)
    write_gib_per_second: float = Field(1.0, gt=0)


class Workload(_Strict):
    name: str = Field(min_length=1)
    model: ModelSpec
    checkpoint: CheckpointSpec
    deadline_hours: float = Field(gt=0)
    deadline_probability: float = Field(
        0.9, gt=0, lt=1, description="for spot plans: P(T <= deadline)"
    )
    budget_usd: float | None = Field(None, gt=0)
    restart_hours: float = Field(0.1, ge=0)
    clouds: list[CloudName] = Field(default_factory=_all_clouds, min_length=1)
    regions: dict[CloudName, list[str]] = Field(default_factory=dict)
    accelerators: list[str] | None = None
    min_accelerator_memory_gib: float | None = Field(None, gt=0)
    max_nodes: int = Field(16, ge=1, le=1024)
    quotas: dict[CloudName, dict[str, int]] = Field(default_factory=dict)
    storage_gib: float | None = Field(None, ge=0, description="kept during the run")
    egress_gib: float = Field(0, ge=0)
    managed_service: bool = False
    interruption_rate_per_hour: float | None = Field(
        None,
        ge=0,
        description="lambda per node-hour for every spot offer (e.g. measured "
        "from a trace with `pioneer spot traces`); default: the offer's Spot Advisor bucket",
    )
    interruption_trace: str | None = Field(
        None, description="a spot trace (file or shipped short name) to measure lambda from"
    )

    @field_validator("accelerators", mode="before")
    @classmethod
    def _accelerator_case(cls, v: Any) -> Any:
        """`h100` is H100: names are matched whatever their case, as everywhere in pioneer."""
        return [canonical(a) or a for a in v] if isinstance(v, list) else v

    @field_validator("quotas", mode="before")
    @classmethod
    def _quota_case(cls, v: Any) -> Any:
        if not isinstance(v, Mapping):
            return v
        return {
            c: {canonical(a) or a: n for a, n in q.items()} if isinstance(q, Mapping) else q
            for c, q in v.items()
        }

    @model_validator(mode="after")
    def _known_names(self) -> Workload:
        unknown = [a for a in (self.accelerators or []) if a not in ACCELERATORS]
        for cloud, q in self.quotas.items():
            unknown += [f"{cloud}.{a}" for a in q if a not in ACCELERATORS]
            if any(v < 0 for v in q.values()):
                raise ValueError(f"quotas.{cloud}: values are accelerator counts >= 0")
        if unknown:
            raise ValueError(
                f"accelerators {', '.join(unknown)} not among {', '.join(ACCELERATORS)}"
            )
        if self.interruption_rate_per_hour is not None and self.interruption_trace:
            raise ValueError("give interruption_rate_per_hour or interruption_trace, not both")
        return self

    # Derived quantities the optimizer uses.
    def cloud_regions(self, cloud: str) -> list[str] | None:
        """The regions allowed on `cloud` (None = all the catalog has)."""
        return next((r for c, r in self.regions.items() if c == cloud), None)

    def quota(self, cloud: str, accelerator: str) -> int | None:
        """Most `accelerator`s the user may run at once on `cloud` (None = no limit)."""
        per_cloud = next((q for c, q in self.quotas.items() if c == cloud), {})
        return per_cloud.get(accelerator)

    @property
    def memory_needed_gib(self) -> float:
        if self.min_accelerator_memory_gib is not None:
            return self.min_accelerator_memory_gib
        return self.model.parameters * BYTES_PER_PARAM_TRAINING * ACTIVATION_MARGIN / 2**30

    @property
    def checkpoint_hours(self) -> float:
        return self.checkpoint.size_gib / self.checkpoint.write_gib_per_second / 3600

    @property
    def stored_gib(self) -> float:
        return self.storage_gib if self.storage_gib is not None else 2 * self.checkpoint.size_gib

    def scaling_inputs(self) -> ScalingInputs:
        m = self.model
        grad = m.parameters * m.gradient_bytes_per_parameter
        if m.tokens is not None:
            return ScalingInputs(
                6 * m.parameters * m.global_batch_tokens,
                grad,
                m.tokens / m.global_batch_tokens,
                m.mfu,
                m.overlap,
            )
        # Measured: FLOPs per sample such that the reference device at `mfu` gives the rate.
        assert m.samples and m.samples_per_second and m.reference_accelerator  # validated
        per_sample = PEAK_TFLOPS[m.reference_accelerator] * 1e12 * m.mfu / m.samples_per_second
        return ScalingInputs(
            per_sample * m.global_batch_samples,
            grad,
            m.samples / m.global_batch_samples,
            m.mfu,
            m.overlap,
        )

    @property
    def total_flops(self) -> float:
        s = self.scaling_inputs()
        return s.flops_per_step * s.steps

    @classmethod
    def parse(cls, data: Any) -> Workload:
        if not isinstance(data, dict):
            raise WorkloadError([f"workload: expected a mapping, got {type(data).__name__}"])
        try:
            return cls.model_validate(data)
        except ValidationError as e:
            raise WorkloadError([_describe(err) for err in e.errors()]) from None


def _describe(err: Mapping[str, Any]) -> str:
    path = ".".join(str(p) for p in err["loc"]) or "workload"
    msg = err["msg"].removeprefix("Value error, ")
    if err["type"] == "extra_forbidden":
        return f"{path}: unknown field"
    if err["type"] == "literal_error":
        return f"{path}: {err['input']!r} is not one of aws, gcp, azure"
    return f"{path}: {msg}"


def load_workload(path: str | Path) -> Workload:
    p = Path(path)
    text = read_input(p, "workload file")
    try:
        data = parse_yaml(text)
    except yaml.YAMLError as e:
        raise WorkloadError([f"{p}: not valid YAML ({e})"]) from None
    return Workload.parse(data)
