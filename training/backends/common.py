"""Shared pieces of the managed backends (SageMaker, Vertex AI, Azure ML).

Each managed backend turns one `TrainingJob` plus a stack's outputs into its
service's request. What is the same everywhere lives here: validating the job,
naming the missing stack outputs, choosing the instance or machine type from
the price catalog, the default checkpoint and output locations in the
platform's storage, the training script's arguments, and the torchrun command
line for services that only start one process per node.
"""

from __future__ import annotations

import fnmatch
import os
import re
import shlex
import shutil
import tarfile
import tempfile
from collections.abc import Iterable, Iterator, Mapping
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cost.accelerators import ACCELERATORS, is_tpu
from cost.catalog import CatalogError, get_catalog
from training.job import TrainingJob

# Files and folders never shipped with the training code (caches, VCS, local state).
SOURCE_IGNORE = (
    ".git",
    ".venv",
    "__pycache__",
    ".pytest_cache",
    ".ruff_cache",
    ".mypy_cache",
    ".hypothesis",
    "*.pyc",
    ".DS_Store",
    ".ipynb_checkpoints",
    "mlruns",
    "runs",
    "*.db",
    ".pioneer",
    "*.egg-info",
    "node_modules",
    "build",
    "dist",
)
MASTER_PORT = 29500


class BackendError(ValueError):
    """A job or stack the backend cannot use; the message says what to change.

    Raised before anything is uploaded or submitted.
    """


def tpu_refusal(accelerator: str | None, field: str = "accelerator") -> str | None:
    """Why a TPU job is refused, or None: the training code has no XLA (torch_xla) path yet."""
    if accelerator is None or not is_tpu(accelerator):
        return None
    return (
        f"{field}: {accelerator} — TPU training is not supported: the training code has no "
        "torch_xla path, so the job would train on the host CPU while paying for TPU chips; "
        "use a GPU pool (--pool) or accelerator"
    )


def validate_job(job: TrainingJob, backend: str) -> None:
    """Check the job's fields once, naming the field and what is allowed."""
    errors: list[str] = []
    if not re.fullmatch(r"[a-zA-Z0-9][a-zA-Z0-9-]{0,40}", job.name):
        errors.append(
            f"name: {job.name!r} must be 1-41 letters, digits or '-' and start with a "
            "letter or digit (it prefixes the service's job name)"
        )
    if job.nodes < 1:
        errors.append(f"nodes: {job.nodes} must be at least 1")
    if job.accelerator is not None:
        if job.accelerator not in ACCELERATORS:
            errors.append(
                f"accelerator: {job.accelerator!r} is not one of {', '.join(ACCELERATORS)}"
            )
        if job.accelerators_per_node < 1:
            errors.append(f"accelerators_per_node: {job.accelerators_per_node} must be at least 1")
        if refusal := tpu_refusal(job.accelerator):
            errors.append(refusal)
    if job.capacity not in ("spot", "on_demand"):
        errors.append(f"capacity: {job.capacity!r} is not one of spot, on_demand")
    if job.max_run_hours <= 0:
        errors.append(f"max_run_hours: {job.max_run_hours} must be positive")
    if job.spot and job.max_wait_hours < job.max_run_hours:
        errors.append(
            f"max_wait_hours: {job.max_wait_hours} must be >= max_run_hours "
            f"({job.max_run_hours}) for spot jobs (time waiting for capacity counts too)"
        )
    if not job.entry_point.endswith(".py"):
        errors.append(f"entry_point: {job.entry_point!r} must be a .py script")
    for key in ("--ckpt-dir", "--output-dir"):
        if any(a == key or a.startswith(key + "=") for a in job.args):
            errors.append(
                f"args: {key} is set by the {backend} backend (use checkpoint_uri / output_uri)"
            )
    if errors:
        raise BackendError(f"{backend}: invalid training job:\n  " + "\n  ".join(errors))
    source = Path(job.source_dir)
    if not (source / job.entry_point).is_file():
        raise BackendError(
            f"{backend}: entry_point {job.entry_point!r} not found under source_dir "
            f"{str(source.resolve())!r}"
        )


def require_outputs(outputs: Mapping[str, object], keys: Iterable[str], backend: str) -> None:
    """Fail, naming every missing key, when the stack outputs lack what the backend reads."""
    missing = [k for k in keys if outputs.get(k) in (None, "", [], {})]
    if missing:
        have = ", ".join(sorted(outputs)) or "none"
        raise BackendError(
            f"{backend}: the stack outputs lack {', '.join(missing)} (they have: {have}); "
            "deploy the stack with `pulumi up` or pass the outputs of the right stack"
        )


def instance_type(cloud: str, region: str, job: TrainingJob) -> str:
    """The cheapest catalog type carrying `accelerators_per_node` x `accelerator` in `region`."""
    if job.accelerator is None:
        raise BackendError("accelerator: a managed training job needs an accelerator")
    try:
        return get_catalog().instance_types(
            cloud, region, job.accelerator, job.accelerators_per_node
        )[0]
    except CatalogError as e:
        counts = get_catalog().accelerator_counts(cloud, job.accelerator, region)
        hint = f"; counts per node offered there: {counts}" if counts else ""
        raise BackendError(f"accelerator: {e}{hint}") from None


def processes_per_node(job: TrainingJob) -> int:
    """One training process per GPU; TPU hosts run one process that drives all chips."""
    if job.accelerator is None or is_tpu(job.accelerator):
        return 1
    return job.accelerators_per_node


def checkpoint_uri(job: TrainingJob, storage_root: str) -> str:
    """Where checkpoints live: per job name, so a resubmitted job resumes from them."""
    return (job.checkpoint_uri or f"{storage_root}/checkpoints/{job.name}").rstrip("/")


def checkpoint_prefix(job: TrainingJob, storage_root: str) -> str:
    """The checkpoint URI as an object-store key prefix, ending in `/`.

    Services that copy "every object under the prefix" (SageMaker's checkpoint
    sync) would otherwise also restore `checkpoints/<name>-2/...` into a job
    named `<name>`.
    """
    return checkpoint_uri(job, storage_root) + "/"


def output_uri(job: TrainingJob, storage_root: str) -> str:
    return (job.output_uri or f"{storage_root}/outputs/{job.name}").rstrip("/")


def script_args(job: TrainingJob, ckpt_dir: str, output_dir: str) -> list[str]:
    """The training script's arguments: the job's own plus the storage locations."""
    return [*job.args, "--ckpt-dir", ckpt_dir, "--output-dir", output_dir]


def args_to_hyperparameters(args: Iterable[str], backend: str) -> dict[str, str]:
    """`--key value` / `--key=value` pairs as a dict (services that pass them back as flags)."""
    items = list(args)
    params: dict[str, str] = {}
    i = 0
    while i < len(items):
        arg = items[i]
        if not arg.startswith("--"):
            raise BackendError(
                f"args: {backend} passes arguments as --key value pairs; {arg!r} is not a --key"
            )
        if "=" in arg:
            key, value = arg[2:].split("=", 1)
            i += 1
        elif i + 1 < len(items) and not items[i + 1].startswith("--"):
            key, value = arg[2:], items[i + 1]
            i += 2
        else:
            raise BackendError(
                f"args: {backend} passes arguments as --key value pairs; {arg!r} has no value"
            )
        params[key] = value
    return params


def torchrun_command(
    job: TrainingJob,
    script_arguments: list[str],
    *,
    nproc_per_node: int,
    node_rank: str = '"$NODE_RANK"',
    master_addr: str = '"$MASTER_ADDR"',
    master_port: str = '"$MASTER_PORT"',
    standalone: bool = False,
) -> str:
    """A shell command running the entry point under torchrun across `job.nodes` nodes.

    For services (Vertex AI, SageMaker) that start one container per node:
    torchrun turns the node's rank into per-process ranks. The node-level values
    stay shell expressions so each replica reads its own (training.vertex_cluster
    sets them on Vertex, the SDK's environment script on SageMaker). `standalone`
    (one node): torchrun's own rendezvous on a free local port instead.
    """
    rendezvous = (
        ["--standalone"]
        if standalone
        else [
            f"--node_rank={node_rank}",
            f"--master_addr={master_addr}",
            f"--master_port={master_port}",
        ]
    )
    parts = [
        "torchrun",
        f"--nnodes={job.nodes}",
        f"--nproc_per_node={nproc_per_node}",
        *rendezvous,
        shlex.quote(job.entry_point),
        *(shlex.quote(a) if not a.startswith('"$') else a for a in script_arguments),
    ]
    return " ".join(parts)


def run_name(job: TrainingJob, now: datetime | None = None) -> str:
    """A unique, service-safe name for one submission of `job`."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%d-%H%M%S")
    return f"{job.name}-{stamp}"


def _ignored(name: str) -> bool:
    return any(fnmatch.fnmatch(name, pat) for pat in SOURCE_IGNORE)


def source_files(source_dir: str) -> list[Path]:
    """The files shipped as training code (relative paths), without caches and VCS state."""
    root = Path(source_dir)
    found: list[Path] = []
    for dirpath, dirnames, filenames in os.walk(root):
        # Prune ignored folders (.venv, .git) instead of walking them.
        dirnames[:] = sorted(d for d in dirnames if not _ignored(d))
        base = Path(dirpath).relative_to(root)
        found += [base / f for f in filenames if not _ignored(f)]
    return sorted(found)


@contextmanager
def staged_source(source_dir: str) -> Iterator[str]:
    """A temporary copy of exactly the files that ship (`source_files`), removed afterwards.

    For SDKs that upload a folder by rules of their own: azure-ai-ml follows only the
    folder's .amlignore or .gitignore and so ships `.git/` (and `.venv/` if not ignored).
    """
    root = Path(source_dir)
    with tempfile.TemporaryDirectory(prefix="pioneer-code-") as tmp:
        staged = Path(tmp) / (root.resolve().name or "code")
        staged.mkdir()
        for rel in source_files(source_dir):
            (staged / rel).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(root / rel, staged / rel)
        yield str(staged)


def source_tarball(source_dir: str) -> Path:
    """Pack the training code into a temporary .tar.gz (caller deletes it)."""
    fd, name = tempfile.mkstemp(prefix="pioneer-source-", suffix=".tar.gz")
    os.close(fd)
    root = Path(source_dir)
    with tarfile.open(name, "w:gz") as tar:
        for rel in source_files(source_dir):
            tar.add(root / rel, arcname=str(rel))
    return Path(name)


def upload(source_dir: str, destination: str, **extra: Any) -> dict[str, Any]:
    """How a dry run describes an upload `submit` would make (nothing is sent)."""
    return {
        "from": str(Path(source_dir).resolve()),
        "to": destination,
        "files": len(source_files(source_dir)),
        **extra,
    }


def envelope(
    backend: str,
    api: str,
    request: dict[str, Any],
    uploads: list[dict[str, Any]],
    price: dict[str, Any],
    **extra: Any,
) -> dict[str, Any]:
    """Every dry run's shape: the API call, its exact request, what goes up first, the price."""
    return {
        "backend": backend,
        "api": api,
        **extra,
        "request": request,
        "uploads": uploads,
        "price": price,
    }


def price_estimate(cloud: str, region: str, vm_type: str, job: TrainingJob) -> dict[str, Any]:
    """What the job costs per hour and at most (max_run_hours), from the dated catalog.

    The managed service's premium over the VM price applies to spot and
    on-demand alike (SageMaker's managed spot discount is on the ml. price).
    """
    catalog = get_catalog()
    try:
        offer = catalog.offer(cloud, region, vm_type)
        premium = catalog.managed_premium(cloud, vm_type)
    except CatalogError as e:
        return {"unavailable": str(e)}
    vm_price = offer.price(job.spot)
    if vm_price is None:
        return {"unavailable": f"the catalog has no {job.capacity} price for {vm_type}"}
    per_hour = vm_price * premium.ratio * job.nodes
    return {
        "instance_type": vm_type,
        "capacity": job.capacity,
        "nodes": job.nodes,
        "vm_usd_per_hour": vm_price,
        "managed_premium": premium.ratio,
        "usd_per_hour": round(per_hour, 2),
        "max_usd": round(per_hour * job.max_run_hours, 2),
        "source": f"{offer.source} ({offer.date}); premium: {premium.source} ({premium.date})",
    }
