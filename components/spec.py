"""The cloud-neutral platform description and its one validation edge.

``PlatformSpec.parse(config)`` is the only way in: it checks shapes and types
(pydantic), then the rules that span fields or need the catalog, and raises a
single ``SpecError`` listing every problem as ``field.path: what is allowed``.
Code after this edge trusts the spec.
"""

from __future__ import annotations

import importlib
import ipaddress
import re
from collections.abc import Mapping
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator, model_validator
from pydantic_core import PydanticCustomError

from components.tag_limits import tag_limit_errors
from cost.accelerators import is_tpu, parse_accelerator
from cost.catalog import get_catalog

Cloud = Literal["aws", "gcp", "azure"]
CLOUDS: tuple[str, ...] = ("aws", "gcp", "azure")
Capacity = Literal["spot", "on_demand"]

_NAME = re.compile(r"^[a-z][a-z0-9-]{1,30}[a-z0-9]$")
_REGION = {
    "aws": re.compile(r"^[a-z]{2}(-gov)?-[a-z]+-\d$"),
    "gcp": re.compile(r"^[a-z]+-[a-z]+\d+$"),
    "azure": re.compile(r"^[a-z]+[a-z0-9]*$"),
}
_TOPOLOGY = re.compile(r"^\d+x\d+(x\d+)?$")


class SpecError(ValueError):
    """Every problem found in one platform config, each naming its field path."""

    def __init__(self, errors: list[str]):
        self.errors = errors
        super().__init__("invalid platform config:\n" + "\n".join(f"  - {e}" for e in errors))


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True, strict=False)


class NodePool(_Model):
    """One group of identical nodes. No accelerator means a CPU (system) pool."""

    name: str
    accelerator: str | None = None
    accelerators_per_node: int = Field(default=0, ge=0, le=16)
    instance_type: str | None = None
    """Override the catalog's choice (CPU pools: the cloud module's default when empty)."""
    min_nodes: int = Field(default=0, ge=0, le=1000)
    max_nodes: int = Field(default=1, ge=0, le=1000)
    desired_nodes: int | None = Field(default=None, ge=0, le=1000)
    capacity: Capacity = "on_demand"
    tpu_topology: str | None = None
    """TPU slice topology, e.g. ``2x2`` (v5e) or ``2x2x1`` (v4/v5p). TPU pools only."""
    disk_size_gb: int = Field(default=200, ge=20, le=16384)
    zones: list[str] = Field(default_factory=list, max_length=6)
    """GCP: the zones the pool's nodes run in (GKE node locations), e.g. where a TPU
    generation exists; empty: every zone of the cluster's region."""
    on_demand_opt_in: bool = False
    """Explicitly accept a large on-demand GPU pool (the cost policy asks for it)."""

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v):
            raise ValueError(
                f"{v!r} must be 3-32 lower-case letters, digits or '-', starting with a letter"
            )
        return v

    @model_validator(mode="before")
    @classmethod
    def _accelerator(cls, v: Any) -> Any:
        """`h100` is H100, and SkyPilot's `A100:8` sets accelerators_per_node too."""
        if not isinstance(v, Mapping) or not isinstance(v.get("accelerator"), str):
            return v
        try:
            name, count = parse_accelerator(v["accelerator"])
        except ValueError as e:
            raise PydanticCustomError("accelerator", "{msg}", {"msg": str(e)}) from None
        out = {**v, "accelerator": name}
        if count is not None:
            given = v.get("accelerators_per_node")
            if given not in (None, count):
                raise PydanticCustomError(
                    "accelerator",
                    "{msg}",
                    {
                        "msg": f"{v['accelerator']!r} says {count} per node but "
                        f"accelerators_per_node is {given}; give one"
                    },
                )
            out["accelerators_per_node"] = count
        return out

    @property
    def is_gpu(self) -> bool:
        return self.accelerator is not None and not is_tpu(self.accelerator)

    @property
    def is_tpu(self) -> bool:
        return is_tpu(self.accelerator)

    @property
    def spot(self) -> bool:
        return self.capacity == "spot"

    @property
    def initial_nodes(self) -> int:
        return self.desired_nodes if self.desired_nodes is not None else self.min_nodes


class StorageSpec(_Model):
    """The platform bucket/container for data, checkpoints and models."""

    versioning: bool = True
    public_access: bool = False
    """Secure default: public access blocked. Turning it on is reported by the policy checks."""
    customer_managed_key: bool = True
    checkpoint_retention_days: int = Field(default=30, ge=1, le=3650)
    """Noncurrent checkpoint versions are deleted after this many days."""
    soft_delete_days: int = Field(default=7, ge=0, le=365)
    force_destroy: bool = False
    key_vault_generation: int = Field(default=0, ge=0, le=999)
    """Azure: bump it to give the Key Vault a new name. A destroyed vault keeps its name
    through purge protection's retention (``soft_delete_days``), so re-creating the stack
    inside that window needs a new one (or ``az keyvault recover``)."""


class MlopsSpec(_Model):
    enabled: bool = True
    sagemaker_domain: bool = False
    """AWS: a VPC-only SageMaker Studio domain."""
    mlflow_server: bool = False
    """AWS: a SageMaker managed MLflow tracking server."""
    tensorboard: bool = True
    """GCP: a Vertex AI TensorBoard instance."""
    public_network_access: bool = False
    """Azure: whether the Azure ML workspace is reachable from the internet."""
    compute_idle_minutes: int = Field(default=15, ge=1, le=1440)
    """Azure: idle time before AmlCompute scales back to zero."""


class NetworkSpec(_Model):
    cidr: str = "10.0.0.0/16"
    availability_zones: int = Field(default=2, ge=2, le=6)
    nat: Literal["single", "per_az"] = "single"
    """One NAT gateway (cheaper) or one per zone (survives a zone outage)."""

    @field_validator("cidr")
    @classmethod
    def _cidr(cls, v: str) -> str:
        try:
            net = ipaddress.ip_network(v, strict=True)
        except ValueError:
            raise ValueError(f"{v!r} is not an IPv4 network such as 10.0.0.0/16") from None
        if net.version != 4 or not 8 <= net.prefixlen <= 20:
            raise ValueError(f"{v!r} must be an IPv4 network with a prefix between /8 and /20")
        return v


class ClusterSpec(_Model):
    kubernetes_version: str | None = None
    private_endpoint: bool = True
    """Control-plane endpoint reachable only from inside the network."""
    authorized_cidrs: list[str] = Field(default_factory=list)
    """CIDRs allowed to reach a public endpoint (when ``private_endpoint`` is off)."""
    addons: Literal["in_stack", "separate_stack"] = None  # type: ignore[assignment]
    """Where the Kubernetes-side add-ons (namespace, JobSet, device plugins, autoscaler) are
    installed: by this stack, which then needs the API from where `pulumi up` runs, or by an
    add-ons stack (``pioneer:addons_for: <this stack>``) run from inside the network.
    Default: ``separate_stack`` for a private endpoint, ``in_stack`` for a public one."""

    @model_validator(mode="after")
    def _addons_default(self) -> ClusterSpec:
        if self.addons is None:
            # frozen model: the default depends on another field, so it is set once here
            object.__setattr__(
                self, "addons", "separate_stack" if self.private_endpoint else "in_stack"
            )
        return self

    deletion_protection: bool = True
    release_channel: Literal["RAPID", "REGULAR", "STABLE"] = "REGULAR"


class ImageSpec(_Model):
    """The platform's training image (training/Dockerfile), built and pushed by `pulumi up`."""

    build: bool = True
    """Build and push it to the platform registry, tagged by the content of training/; off:
    bring your own image (`pioneer train --image`)."""


class BudgetSpec(_Model):
    monthly_usd: float = Field(gt=0, le=10_000_000)
    alert_emails: list[str] = Field(default_factory=list)


class PlatformSpec(_Model):
    """A whole ML platform, independent of the cloud it lands on."""

    name: str
    cloud: Cloud
    region: str
    project: str | None = None
    """GCP project id (required on gcp)."""
    node_pools: list[NodePool] = Field(min_length=1, max_length=32)
    storage: StorageSpec = Field(default_factory=StorageSpec)
    mlops: MlopsSpec = Field(default_factory=MlopsSpec)
    network: NetworkSpec = Field(default_factory=NetworkSpec)
    cluster: ClusterSpec = Field(default_factory=ClusterSpec)
    image: ImageSpec = Field(default_factory=ImageSpec)
    tags: dict[str, str] = Field(default_factory=dict)
    budget: BudgetSpec | None = None

    @field_validator("name")
    @classmethod
    def _name(cls, v: str) -> str:
        if not _NAME.match(v) or len(v) > 20:
            raise ValueError(
                f"{v!r} must be 3-20 lower-case letters, digits or '-', starting with a letter"
            )
        return v

    @classmethod
    def parse(cls, config: Any, *, stack: str | None = None) -> PlatformSpec:
        """Validate a config mapping (the ``pioneer:`` keys of a stack) into a spec.

        ``stack`` is the Pulumi stack name the platform will be tagged with (the
        clouds check it against their tag/label rules); parsing never asks the
        Pulumi runtime for it.
        """
        if not isinstance(config, Mapping):
            raise SpecError([f"config: expected a mapping, got {type(config).__name__}"])
        try:
            spec = cls.model_validate(_accelerators_from_instance_types(config))
        except ValidationError as e:
            raise SpecError([_format(err) for err in e.errors()]) from None
        except (TypeError, ValueError) as e:  # pydantic may raise these on exotic input
            raise SpecError([f"config: {e}"]) from None
        problems = _semantic_errors(spec) + cloud_errors(spec, stack)
        if problems:
            raise SpecError(problems)
        return spec

    @property
    def gpu_pools(self) -> list[NodePool]:
        return [p for p in self.node_pools if p.is_gpu]

    @property
    def tpu_pools(self) -> list[NodePool]:
        return [p for p in self.node_pools if p.is_tpu]

    @property
    def cpu_pools(self) -> list[NodePool]:
        return [p for p in self.node_pools if p.accelerator is None]


def _accelerators_from_instance_types(config: Mapping[str, Any]) -> dict[str, Any]:
    """A pool given only by a GPU/TPU instance type (`p4d.24xlarge`) gets that type's
    accelerator from the catalog, so it is built, tainted and checked as the GPU pool it is."""
    out = dict(config)
    pools = out.get("node_pools")
    if not isinstance(pools, list):
        return out
    offers = {(o.cloud, o.instance_type): o for o in get_catalog().offers}
    filled = []
    for pool in pools:
        offer = (
            offers.get((str(out.get("cloud")), pool["instance_type"]))
            if isinstance(pool, Mapping)
            and isinstance(pool.get("instance_type"), str)
            and not pool.get("accelerator")
            else None
        )
        if offer is not None:
            pool = {**pool, "accelerator": offer.accelerator}
            pool.setdefault("accelerators_per_node", offer.accelerator_count)
        filled.append(pool)
    out["node_pools"] = filled
    return out


def _path(loc: tuple[Any, ...]) -> str:
    out = ""
    for part in loc:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            out += ("." if out else "") + str(part)
    return out or "config"


def _format(err: Mapping[str, Any]) -> str:
    loc = tuple(p for p in err["loc"] if not (isinstance(p, str) and p.startswith("function-")))
    kind, msg = err["type"], err["msg"]
    if kind == "value_error":
        msg = str(err.get("ctx", {}).get("error", msg))
    elif kind == "literal_error":
        msg = f"{err['input']!r} is not one of {err['ctx']['expected'].replace(' or ', ', ')}"
    elif kind == "extra_forbidden":
        parent = loc[:-1]
        allowed = _allowed_fields(parent)
        msg = "unknown field" + (f"; allowed: {', '.join(allowed)}" if allowed else "")
    elif kind == "accelerator":  # raised by NodePool._accelerator for the whole pool
        loc = (*loc, "accelerator")
    elif kind == "missing":
        msg = "required field is missing"
    return f"{_path(loc)}: {msg}"


def _allowed_fields(loc: tuple[Any, ...]) -> list[str]:
    model: Any = PlatformSpec
    for part in loc:
        if isinstance(part, int):
            continue
        field = model.model_fields.get(part)
        if field is None:
            return []
        ann = field.annotation
        args = getattr(ann, "__args__", ())
        nxt = next(
            (a for a in (ann, *args) if isinstance(a, type) and issubclass(a, BaseModel)), None
        )
        if nxt is None:
            return []
        model = nxt
    return list(model.model_fields)


def _semantic_errors(spec: PlatformSpec) -> list[str]:
    """Rules across fields, and what the catalog offers in the chosen region."""
    errs: list[str] = []
    catalog = get_catalog()
    if not _REGION[spec.cloud].match(spec.region):
        errs.append(f"region: {spec.region!r} is not a {spec.cloud} region name")
    if spec.cloud == "gcp" and not spec.project:
        errs.append("project: required on gcp (the GCP project id)")
    if spec.cloud != "gcp" and spec.project:
        errs.append(f"project: only used on gcp (cloud is {spec.cloud!r})")
    seen: set[str] = set()
    for i, pool in enumerate(spec.node_pools):
        at = f"node_pools[{i}]"
        if pool.name in seen:
            errs.append(
                f"{at}.name: {pool.name!r} is used by another pool; pool names must be unique"
            )
        seen.add(pool.name)
        if pool.min_nodes > pool.max_nodes:
            errs.append(f"{at}: min_nodes {pool.min_nodes} > max_nodes {pool.max_nodes}")
        if (
            pool.desired_nodes is not None
            and not pool.min_nodes <= pool.desired_nodes <= pool.max_nodes
        ):
            errs.append(
                f"{at}.desired_nodes: {pool.desired_nodes} is outside min_nodes..max_nodes "
                f"({pool.min_nodes}..{pool.max_nodes})"
            )
        for j, zone in enumerate(pool.zones):
            if spec.cloud != "gcp":
                errs.append(f"{at}.zones: only used on gcp (cloud is {spec.cloud!r})")
                break
            if not re.fullmatch(rf"{re.escape(spec.region)}-[a-z]", zone):
                errs.append(
                    f"{at}.zones[{j}]: {zone!r} is not a zone of {spec.region} "
                    f"(for example {spec.region}-a)"
                )
        if pool.accelerator is None:
            if pool.accelerators_per_node:
                errs.append(f"{at}.accelerators_per_node: set without an accelerator")
            if pool.tpu_topology:
                errs.append(f"{at}.tpu_topology: only for TPU pools")
            continue
        if pool.is_tpu:
            if spec.cloud != "gcp":
                errs.append(
                    f"{at}.accelerator: TPU pools exist only on gcp (cloud is {spec.cloud!r})"
                )
                continue
            if not pool.tpu_topology:
                errs.append(f"{at}.tpu_topology: required for TPU pools (for example 2x2 or 2x2x1)")
            elif not _TOPOLOGY.match(pool.tpu_topology):
                errs.append(f"{at}.tpu_topology: {pool.tpu_topology!r} is not AxB or AxBxC")
        elif pool.tpu_topology:
            errs.append(f"{at}.tpu_topology: only for TPU pools")
        counts = catalog.accelerator_counts(spec.cloud, pool.accelerator)
        if not counts:
            errs.append(
                f"{at}.accelerator: the catalog has no {spec.cloud} offer with "
                f"{pool.accelerator}; clouds it has one for: {', '.join(c for c in CLOUDS if catalog.accelerator_counts(c, pool.accelerator)) or 'none'}"
            )
            continue
        if pool.accelerators_per_node not in counts:
            errs.append(
                f"{at}.accelerators_per_node: {pool.accelerators_per_node} is not one of "
                f"{', '.join(map(str, counts))} ({spec.cloud} {pool.accelerator} instance sizes)"
            )
            continue
        regions = catalog.regions_offering(spec.cloud, pool.accelerator, pool.accelerators_per_node)
        if spec.region not in regions:
            errs.append(
                f"{at}.accelerator: the catalog has no price for {pool.accelerators_per_node}x"
                f"{pool.accelerator} on {spec.cloud} in {spec.region} (a gap in the catalog, "
                f"not necessarily in the cloud); the catalog's regions for it: {', '.join(regions)}"
            )
        if pool.instance_type and pool.instance_type not in {
            o.instance_type for o in catalog.offers_for(spec.cloud, spec.region, pool.accelerator)
        }:
            errs.append(
                f"{at}.instance_type: {pool.instance_type!r} does not carry "
                f"{pool.accelerator} in {spec.region} (see `pioneer catalog show`)"
            )
    for key, value in spec.tags.items():
        if not key or len(key) > 63:
            errs.append(f"tags.{key}: tag keys must be 1-63 characters")
        if len(value) > 255:
            errs.append(f"tags.{key}: tag values must be at most 255 characters")
    # Count and length limits of every cloud (one place; each cloud's alphabet is its own).
    errs.extend(tag_limit_errors(spec))
    if spec.cluster.private_endpoint and spec.cluster.addons == "in_stack":
        errs.append(
            "cluster.addons: 'in_stack' installs Kubernetes resources from where `pulumi up` "
            "runs, which a private-only API endpoint does not let in; allowed: set "
            "cluster.addons: separate_stack and run the add-ons stack from inside the network, "
            "or cluster.private_endpoint: false with cluster.authorized_cidrs (docs/deploy.md)"
        )
    if not spec.cluster.private_endpoint and not spec.cluster.authorized_cidrs:
        errs.append(
            "cluster.authorized_cidrs: required when private_endpoint is false "
            "(a public endpoint open to 0.0.0.0/0 is not allowed)"
        )
    for j, cidr in enumerate(spec.cluster.authorized_cidrs):
        try:
            net = ipaddress.ip_network(cidr, strict=False)
        except ValueError:
            errs.append(f"cluster.authorized_cidrs[{j}]: {cidr!r} is not a CIDR block")
            continue
        if net.prefixlen == 0:
            errs.append(
                f"cluster.authorized_cidrs[{j}]: {cidr!r} opens the endpoint to the whole "
                "internet; list the networks that need it"
            )
    return errs


def cloud_errors(spec: PlatformSpec, stack: str | None = None) -> list[str]:
    """The spec's cloud's own rules: ``components.<cloud>.spec_errors``.

    Imported here, not at module level: every cloud package imports this module.
    """
    cloud = importlib.import_module(f"components.{spec.cloud}")
    errors: list[str] = cloud.spec_errors(spec, stack=stack)
    return errors


def cloud_warnings(spec: PlatformSpec) -> list[str]:
    """What the spec's cloud allows but flags (``components.<cloud>.spec_warnings``): a
    Kubernetes version in extended support, for one. Never raises; `pioneer plan` prints them."""
    cloud = importlib.import_module(f"components.{spec.cloud}")
    warnings: list[str] = cloud.spec_warnings(spec)
    return warnings
