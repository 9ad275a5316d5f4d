"""Azure ML backend: one `TrainingJob` as an Azure ML command job.

`command()` with `PyTorchDistribution`: Azure ML starts
`process_count_per_instance` processes on each of `instance_count` nodes and
sets RANK, LOCAL_RANK, WORLD_SIZE, MASTER_ADDR and MASTER_PORT for each, so
the training script runs directly (no torchrun). Spot capacity is the
platform's low-priority AmlCompute cluster for the accelerator, or serverless
compute with the Spot job tier (`pool="serverless"`).

Checkpoints and the model are job outputs mounted read-write from a datastore
on the platform's storage container; their mount paths reach the script on the
command line (`${{outputs.checkpoints}}`), because output bindings are not
substituted inside environment variables.

The code goes up as a staged copy of the files every backend ships
(common.source_files): azure-ai-ml itself would follow only the folder's
.amlignore or .gitignore and upload `.git/`.
"""

from __future__ import annotations

import re
import shlex
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cost.catalog import CatalogError, get_catalog
from training.backends import common
from training.backends.common import BackendError
from training.backends.fabric import managed_nccl_env
from training.images import DEFAULT_IMAGES
from training.job import TrainingJob

BACKEND = "azureml"
REQUIRED_OUTPUTS = (
    "subscription_id",
    "resource_group",
    "workspace_name",
    "region",
    "storage_account",
    "bucket_name",
)
SERVERLESS = "serverless"
ENVIRONMENT = DEFAULT_IMAGES[BACKEND].uri
EXPERIMENT = "pioneer"
TERMINAL = ("Completed", "Failed", "Canceled", "NotResponding")


def datastore_name(outputs: Mapping[str, Any]) -> str:
    """The identity-based datastore submit registers for the platform container."""
    return "pioneer_" + re.sub(r"[^a-z0-9_]", "_", str(outputs["bucket_name"]).lower())


def datastore_uri(outputs: Mapping[str, Any], path: str) -> str:
    return f"azureml://datastores/{datastore_name(outputs)}/paths/{path.strip('/')}"


def _carries(vm_size: str, location: str, job: TrainingJob) -> bool:
    try:
        offer = get_catalog().offer("azure", location, vm_size)
    except CatalogError:
        return False
    return (
        offer.accelerator == job.accelerator
        and offer.accelerator_count == job.accelerators_per_node
    )


def compute_target(job: TrainingJob, outputs: Mapping[str, Any]) -> dict[str, Any] | None:
    """The compute cluster entry from the stack outputs, or None for serverless."""
    if job.pool == SERVERLESS:
        return None
    clusters: list[dict[str, Any]] = list(outputs.get("compute_clusters") or [])
    want = "LowPriority" if job.spot else "Dedicated"
    described = (
        ", ".join(
            f"{c['name']} (pool {c['pool']}, {c['priority']}, {c['vm_size']})" for c in clusters
        )
        or "none"
    )
    if job.pool:
        found = [c for c in clusters if c["pool"] == job.pool]
        if not found:
            raise BackendError(
                f"pool: no compute cluster for pool {job.pool!r}; the stack has: "
                f"{described}; or use pool={SERVERLESS!r}"
            )
        cluster = found[0]
        if cluster["priority"] != want:
            raise BackendError(
                f"pool: cluster {cluster['name']} is {cluster['priority']} but "
                f"the job's capacity {job.capacity} needs {want}; use a "
                f"{want} pool's cluster or pool={SERVERLESS!r}"
            )
        if not _carries(cluster["vm_size"], outputs["region"], job):
            raise BackendError(
                f"pool: cluster {cluster['name']} ({cluster['vm_size']}) does not "
                f"carry {job.accelerators_per_node}x{job.accelerator}"
            )
        return cluster
    for cluster in clusters:
        if cluster["priority"] == want and _carries(cluster["vm_size"], outputs["region"], job):
            return cluster
    raise BackendError(
        f"compute_clusters: no {want} cluster with {job.accelerators_per_node}x{job.accelerator} "
        f"in the stack (it has: {described}); set the job's accelerator to a pool's, "
        f"or pool={SERVERLESS!r} for serverless compute"
    )


def command_line(job: TrainingJob) -> str:
    """What each process runs; Azure ML substitutes the output bindings before it starts."""
    args = [
        *job.args,
        "--ckpt-dir",
        "${{outputs.checkpoints}}",
        "--output-dir",
        "${{outputs.model}}",
    ]
    run = " ".join(
        [
            "python",
            shlex.quote(job.entry_point),
            *(a if a.startswith("${{") else shlex.quote(a) for a in args),
        ]
    )
    if job.requirements and (Path(job.source_dir) / job.requirements).is_file():
        # Every process on a node runs the command; the lock makes them install once.
        return (
            f"flock /tmp/pioneer-pip.lock pip install --quiet -r "
            f"{shlex.quote(job.requirements)} && {run}"
        )
    return run


def build_job(
    job: TrainingJob,
    outputs: Mapping[str, Any],
    run: str,
    inputs: dict[str, Any] | None = None,
    code: str | None = None,
) -> Any:
    """The `command()` job for one submission named `run` (`inputs`: extra bindings, e.g. an
    upstream pipeline step's output the job must wait for; `code`: the folder to upload,
    default the job's source_dir; `submit` passes a staged copy of just the shipped files)."""
    from azure.ai.ml import Output, PyTorchDistribution, command
    from azure.ai.ml.entities import ManagedIdentityConfiguration

    cluster = compute_target(job, outputs)
    extra: dict[str, Any] = {}
    vm_size = (
        cluster["vm_size"] if cluster else common.instance_type("azure", outputs["region"], job)
    )
    if cluster is None:  # serverless: the job names its VM size and capacity tier
        extra["instance_type"] = vm_size
        extra["queue_settings"] = {"job_tier": "Spot" if job.spot else "Standard"}
    else:
        extra["compute"] = cluster["name"]
    if outputs.get("compute_identity_client_id"):
        # Data access (the identity-based datastore) as the platform's compute identity.
        extra["identity"] = ManagedIdentityConfiguration(
            client_id=outputs["compute_identity_client_id"]
        )
    return command(
        name=run,
        display_name=run,
        experiment_name=EXPERIMENT,
        code=code or job.source_dir,
        command=command_line(job),
        environment=job.image or ENVIRONMENT,
        # The fabric's NCCL settings first; the job's own environment wins.
        environment_variables={**managed_nccl_env("azure", vm_size, job.nodes), **job.environment},
        distribution=PyTorchDistribution(process_count_per_instance=common.processes_per_node(job)),
        instance_count=job.nodes,
        timeout=int(job.max_run_hours * 3600),
        outputs={
            "checkpoints": Output(
                type="uri_folder",
                mode="rw_mount",
                path=datastore_uri(outputs, f"checkpoints/{job.name}")
                if not job.checkpoint_uri
                else job.checkpoint_uri,
            ),
            "model": Output(
                type="uri_folder",
                mode="rw_mount",
                path=datastore_uri(outputs, f"outputs/{job.name}/model")
                if not job.output_uri
                else job.output_uri,
            ),
        },
        inputs=inputs or {},
        tags={"pioneer-job": job.name, "capacity": job.capacity},
        **extra,
    )


def _prepare(job: TrainingJob, outputs: Mapping[str, Any]) -> None:
    common.validate_job(job, BACKEND)
    common.require_outputs(outputs, REQUIRED_OUTPUTS, BACKEND)
    if job.pool != SERVERLESS:
        common.require_outputs(outputs, ("compute_clusters",), BACKEND)


def rest_request(built: Any) -> dict[str, Any]:
    """The job's REST body (JobBase) as the SDK sends it, before the code upload sets codeId."""
    return built._to_job()._to_rest_object().as_dict()


def dry_run(job: TrainingJob, outputs: Mapping[str, Any]) -> dict[str, Any]:
    """The job's REST body `submit` would send, the datastore it registers and the upload."""
    _prepare(job, outputs)
    run = common.run_name(job)
    body = rest_request(build_job(job, outputs, run))
    cluster = compute_target(job, outputs)
    vm_size = (
        cluster["vm_size"]
        if cluster is not None
        else common.instance_type("azure", outputs["region"], job)
    )
    workspace = (
        f"/subscriptions/{outputs['subscription_id']}/resourceGroups/"
        f"{outputs['resource_group']}/providers/Microsoft.MachineLearningServices/"
        f"workspaces/{outputs['workspace_name']}"
    )
    code = common.upload(
        job.source_dir,
        f"{workspace}/codes (a code asset; becomes codeId)",
        entry_point=job.entry_point,
    )
    return common.envelope(
        BACKEND,
        "azure.ai.ml MLClient.jobs.create_or_update",
        body,
        [code],
        common.price_estimate("azure", outputs["region"], vm_size, job),
        workspace=workspace,
        job_name=run,
        datastore={
            "name": datastore_name(outputs),
            "type": "AzureBlob",
            "account_name": outputs["storage_account"],
            "container_name": outputs["bucket_name"],
            "credentials": "identity",
        },
    )


def _credential() -> Any:
    from azure.identity import DefaultAzureCredential

    return DefaultAzureCredential()


def credential() -> Any:
    """An Azure credential that can get a management token, or a clear error."""
    from azure.core.exceptions import ClientAuthenticationError

    cred = _credential()
    try:
        cred.get_token("https://management.azure.com/.default")
    except ClientAuthenticationError as e:
        first = str(e).strip().splitlines()[0] if str(e).strip() else type(e).__name__
        raise BackendError(
            f"{BACKEND}: no usable Azure credentials; run `az login` or set "
            f"AZURE_CLIENT_ID/AZURE_TENANT_ID/AZURE_CLIENT_SECRET ({first})"
        ) from None
    return cred


@dataclass
class AzureMLJob:
    """A submitted command job; every call asks the workspace."""

    name: str
    client: Any = field(repr=False)

    def status(self) -> str:
        return str(self.client.jobs.get(self.name).status)

    def wait(self, poll_seconds: float = 30.0) -> str:
        while (state := self.status()) not in TERMINAL:
            time.sleep(poll_seconds)
        return state

    def cancel(self) -> None:
        self.client.jobs.begin_cancel(self.name).result()

    def logs(self) -> str:
        """The job's user logs so far (std_log*.txt of every node and process)."""
        with tempfile.TemporaryDirectory() as tmp:
            self.client.jobs.download(self.name, download_path=tmp)
            files = sorted(Path(tmp).rglob("std_log*.txt"))
            return "\n".join(f"== {f.name}\n{f.read_text(errors='replace')}" for f in files)


def submit(job: TrainingJob, outputs: Mapping[str, Any]) -> AzureMLJob:
    """Register the platform datastore, upload the code and create the command job."""
    _prepare(job, outputs)
    cred = credential()  # before any upload
    from azure.ai.ml import MLClient
    from azure.ai.ml.entities import AzureBlobDatastore

    run = common.run_name(job)
    build_job(job, outputs, run)  # validates before anything is staged or sent
    client = MLClient(
        cred, outputs["subscription_id"], outputs["resource_group"], outputs["workspace_name"]
    )
    client.datastores.create_or_update(
        AzureBlobDatastore(
            name=datastore_name(outputs),
            account_name=outputs["storage_account"],
            container_name=outputs["bucket_name"],
            description="pioneer platform storage (identity-based access)",
        )
    )
    # The SDK uploads `code` by its own rules (.amlignore, else .gitignore: `.git/` would go
    # up); a staged copy of the files the other backends ship goes up instead.
    with common.staged_source(job.source_dir) as code:
        created = client.jobs.create_or_update(
            build_job(job, outputs, run, code=code), experiment_name=EXPERIMENT
        )
    return AzureMLJob(name=created.name, client=client)
