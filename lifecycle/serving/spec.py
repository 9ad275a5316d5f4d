"""The serving spec: one description of an endpoint, deployable to any of the five targets.

`ServingSpec.parse(doc)` is the one way in (a `serving/<name>.yaml` file or the
`pioneer:serving` key of a stack); every problem is reported at once as
`field.path: what is allowed`, like the platform spec. Off by default: a stack
without `serving.enabled: true` creates no endpoint.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any, Literal

import yaml
from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from components.spec import _NAME, SpecError, _format
from cost.accelerators import ACCELERATORS
from lifecycle.registry import RefError, parse_ref

TARGETS = ("sagemaker", "vertex", "azureml", "kubernetes", "local")
TARGET_CLOUD = {"sagemaker": "aws", "vertex": "gcp", "azureml": "azure"}
# CPU defaults: types the price catalog carries in every default region.
DEFAULT_INSTANCE = {"aws": "m6i.xlarge", "gcp": "n2-standard-4", "azure": "Standard_D4s_v5"}


class ServingSpecError(SpecError):
    """Every problem in one serving spec (a SpecError, so the CLI reports it the same way)."""

    def __init__(self, errors: list[str]):
        super().__init__(errors)
        self.args = ("invalid serving spec:\n" + "\n".join(f"  - {e}" for e in errors),)

    def __str__(self) -> str:
        return str(self.args[0])


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Autoscaling(_Model):
    min_replicas: int = Field(default=1, ge=1, le=100)
    """At least one: scale-to-zero is not offered by SageMaker/Azure real-time endpoints."""
    max_replicas: int = Field(default=2, ge=1, le=100)
    target: Literal["rps", "latency_ms"] = "rps"
    """Scale on requests per second per replica, or on p99 latency (ms)."""
    target_value: float = Field(default=50.0, gt=0, le=100_000)


class Canary(_Model):
    traffic_percent: int = Field(default=10, ge=1, le=50)
    """Share of traffic the new version gets first (90/10 is `10`)."""
    steps: list[int] = Field(default_factory=lambda: [10, 50, 100])
    """Traffic shares for the new version, in order; the last must be 100."""
    bake_seconds: float = Field(default=60.0, ge=0, le=86_400)
    """How long each step is watched before the next."""


class Rollback(_Model):
    metric: Literal["error_rate", "p99_latency_ms"] = "error_rate"
    threshold: float = Field(default=0.05, gt=0)
    """Error rate as a fraction (0.05 = 5 %), or p99 latency in milliseconds."""
    window_seconds: float = Field(default=300.0, gt=0, le=86_400)
    min_requests: int = Field(default=20, ge=1)
    """A window with fewer requests decides nothing (too few to judge)."""


class DataCapture(_Model):
    enabled: bool = True
    sample_percent: int = Field(default=100, ge=0, le=100)
    prefix: str = "capture"
    """Key prefix in the stack's bucket (local: a folder under the store)."""
    encrypted: bool = True
    """With the stack's customer-managed key; turning it off is a policy finding."""

    @field_validator("prefix")
    @classmethod
    def _prefix(cls, v: str) -> str:
        if not re.fullmatch(r"[a-z0-9][a-z0-9/_-]{0,62}", v):
            raise ValueError(f"{v!r} must be 1-63 lower-case letters, digits, '/', '_' or '-'")
        return v


class InstanceTypes(_Model):
    """Per-cloud instance/machine/VM type; empty: the accelerator's, or a 4-vCPU CPU type."""

    aws: str | None = None
    gcp: str | None = None
    azure: str | None = None


class ServingSpec(_Model):
    enabled: bool = False
    name: str = "digits"
    model: str = "pioneer-digits:production"
    """Registry reference: NAME, NAME:ALIAS or NAME:VERSION."""
    accelerator: str | None = None
    instance_types: InstanceTypes = Field(default_factory=InstanceTypes)
    autoscaling: Autoscaling = Field(default_factory=Autoscaling)
    canary: Canary = Field(default_factory=Canary)
    rollback: Rollback = Field(default_factory=Rollback)
    capture: DataCapture = Field(default_factory=DataCapture)
    private: bool = True
    """Endpoint reachable only inside the stack's network (public access off)."""

    @field_validator("model")
    @classmethod
    def _model(cls, v: str) -> str:
        try:
            parse_ref(v)
        except RefError as e:
            raise ValueError(str(e)) from None
        return v

    @classmethod
    def parse(cls, doc: Any) -> ServingSpec:
        if doc is None:
            return cls()
        if not isinstance(doc, Mapping):
            raise ServingSpecError([f"serving: expected a mapping, got {type(doc).__name__}"])
        try:
            spec = cls.model_validate(dict(doc))
        except ValidationError as e:
            raise ServingSpecError([_error(err) for err in e.errors()]) from None
        problems = _semantic_errors(spec)
        if problems:
            raise ServingSpecError(problems)
        return spec

    @classmethod
    def load(cls, path: Path) -> ServingSpec:
        try:
            doc = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
        except yaml.YAMLError as e:
            raise ServingSpecError([f"{path}: not valid YAML ({e})"]) from None
        return cls.parse(doc)

    def instance_type(self, cloud: str, region: str) -> str:
        """The type an endpoint replica runs on in `cloud`/`region` (without SageMaker's `ml.`)."""
        explicit = getattr(self.instance_types, cloud)
        if explicit:
            return str(explicit)
        if self.accelerator is None:
            return DEFAULT_INSTANCE[cloud]
        from cost.catalog import get_catalog

        types = get_catalog().instance_types(cloud, region, self.accelerator, 1)
        if not types:
            raise ServingSpecError(
                [f"serving.accelerator: {cloud} offers no 1x{self.accelerator} in {region}"]
            )
        return types[0]


def _error(err: Any) -> str:
    """`serving.<path>: message`; unknown fields list what the spec allows there."""
    if err["type"] != "extra_forbidden":
        return "serving." + _format(err)
    model: Any = ServingSpec
    for part in err["loc"][:-1]:
        model = model.model_fields[part].annotation
    path = ".".join(map(str, err["loc"]))
    return f"serving.{path}: unknown field; allowed: {', '.join(model.model_fields)}"


def _semantic_errors(spec: ServingSpec) -> list[str]:
    errs = []
    if not _NAME.match(spec.name):
        errs.append(
            f"serving.name: {spec.name!r} must be 3-32 lower-case letters, digits or '-', "
            "starting with a letter (it names the endpoint)"
        )
    if spec.accelerator is not None and spec.accelerator not in ACCELERATORS:
        errs.append(
            f"serving.accelerator: {spec.accelerator!r} is not one of {', '.join(ACCELERATORS)}"
        )
    a = spec.autoscaling
    if a.min_replicas > a.max_replicas:
        errs.append(
            f"serving.autoscaling: min_replicas {a.min_replicas} > max_replicas {a.max_replicas}"
        )
    steps = spec.canary.steps
    if not steps or steps[-1] != 100 or steps != sorted(set(steps)) or steps[0] < 1:
        errs.append(f"serving.canary.steps: {steps} must rise strictly from 1..100 and end at 100")
    elif steps[0] != spec.canary.traffic_percent:
        errs.append(
            f"serving.canary.steps: the first step {steps[0]} must equal traffic_percent "
            f"{spec.canary.traffic_percent}"
        )
    if spec.rollback.metric == "error_rate" and spec.rollback.threshold >= 1:
        errs.append(
            f"serving.rollback.threshold: {spec.rollback.threshold} is an error rate; "
            "give a fraction below 1 (0.05 = 5 %)"
        )
    return errs
