"""Vertex AI backend: one `TrainingJob` as a Vertex AI `CustomJob`.

Worker pools: a chief (one replica) plus a pool of `nodes - 1` workers, all on
the catalog's machine type for the accelerator (TPU machine types with a
topology). Vertex starts one container per replica; training.vertex_cluster
finds the node's rank and the chief (Vertex's RANK/MASTER_ADDR, else its
CLUSTER_SPEC) and the container runs torchrun to start one process per GPU.
On-demand jobs use the STANDARD strategy (ON_DEMAND is deprecated).

The training code travels as a tarball in the platform bucket and is read
through Vertex's Cloud Storage FUSE mount (`/gcs/<bucket>/...`); checkpoints
and the model go to the same bucket through that mount, where the training
script resumes from the newest checkpoint after a spot preemption.
"""

from __future__ import annotations

import shlex
import time
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from cost.accelerators import is_tpu
from training.backends import common
from training.backends.common import BackendError
from training.images import DEFAULT_IMAGES
from training.job import TrainingJob

BACKEND = "vertex"
REQUIRED_OUTPUTS = ("project", "region", "bucket_name", "kms_key_id", "training_service_account")
# Vertex AI prebuilt PyTorch training containers (GPU and TPU/XLA).
GPU_IMAGE = DEFAULT_IMAGES["vertex"].uri
TPU_IMAGE = DEFAULT_IMAGES["vertex-tpu"].uri
CODE_DIR = "/tmp/pioneer"
BOOT_DISK_GB = 200
TERMINAL = ("JOB_STATE_SUCCEEDED", "JOB_STATE_FAILED", "JOB_STATE_CANCELLED", "JOB_STATE_EXPIRED")

# Vertex's AcceleratorType for each cloud-neutral GPU. Single-host TPU slices
# are chosen by machine type and topology instead (no accelerator type).
GPU_TYPES = {
    "T4": "NVIDIA_TESLA_T4",
    "V100": "NVIDIA_TESLA_V100",
    "A100": "NVIDIA_TESLA_A100",
    "A100-80GB": "NVIDIA_A100_80GB",
    "L4": "NVIDIA_L4",
    "H100": "NVIDIA_H100_80GB",
    "H200": "NVIDIA_H200_141GB",
    "B200": "NVIDIA_B200",
}
# a3-megagpu machines carry the H100 "Mega" variant, a distinct accelerator type.
MACHINE_GPU_TYPES = {"a3-megagpu-8g": "NVIDIA_H100_MEGA_80GB"}
# Default single-host TPU topology by chip count (v5e/v6e are 2D; v5p is 3D).
TPU_TOPOLOGY_2D = {1: "1x1", 4: "2x2", 8: "2x4"}
TPU_TOPOLOGY_3D = {4: "2x2x1", 8: "2x2x2"}


def _types() -> Any:
    from google.cloud import aiplatform_v1

    return aiplatform_v1


def machine_spec(job: TrainingJob, region: str) -> dict[str, Any]:
    machine = common.instance_type("gcp", region, job)
    assert job.accelerator is not None  # instance_type() checked it
    if is_tpu(job.accelerator):
        if job.nodes > 1:
            raise BackendError(
                f"nodes: {job.nodes} — a Vertex AI TPU job runs on one "
                "single-host slice here; use nodes=1 (multi-host slices are "
                "not supported by this backend)"
            )
        table = TPU_TOPOLOGY_3D if job.accelerator == "TPU-v5p" else TPU_TOPOLOGY_2D
        topology = job.tpu_topology or table.get(job.accelerators_per_node)
        if topology is None:
            raise BackendError(
                f"tpu_topology: set it for {job.accelerators_per_node} "
                f"{job.accelerator} chips per host"
            )
        return {"machine_type": machine, "tpu_topology": topology}
    accel = MACHINE_GPU_TYPES.get(machine) or GPU_TYPES.get(job.accelerator)
    if accel is None:
        raise BackendError(
            f"accelerator: Vertex AI has no accelerator type for "
            f"{job.accelerator!r}; use one of {', '.join(GPU_TYPES)}"
        )
    return {
        "machine_type": machine,
        "accelerator_type": accel,
        "accelerator_count": job.accelerators_per_node,
    }


def gcs_path(uri: str) -> str:
    """gs://bucket/path as the path Vertex's Cloud Storage FUSE mount shows it."""
    if not uri.startswith("gs://"):
        raise BackendError(f"checkpoint_uri/output_uri: {uri!r} must be a gs:// URI on Vertex AI")
    return "/gcs/" + uri.removeprefix("gs://")


def container_script(job: TrainingJob, outputs: Mapping[str, Any], code_uri: str) -> str:
    """The container's shell script: unpack the code, install requirements, torchrun."""
    storage = f"gs://{outputs['bucket_name']}"
    ckpt = gcs_path(common.checkpoint_uri(job, storage))
    # base_output_directory is the output URI, so this is where AIP_MODEL_DIR points.
    model_dir = gcs_path(common.output_uri(job, storage)) + "/model"
    steps = [
        "set -euo pipefail",
        f"mkdir -p {CODE_DIR}",
        f"tar -xzf {shlex.quote(gcs_path(code_uri))} -C {CODE_DIR}",
        f"cd {CODE_DIR}",
    ]
    if job.requirements and (Path(job.source_dir) / job.requirements).is_file():
        steps.append(f"pip install --quiet -r {shlex.quote(job.requirements)}")
    # An assignment, not `eval "$(...)"`: set -e stops the script when the rank is unknown.
    steps.append(f'node_env="$(python3 -m training.vertex_cluster --nodes {job.nodes})"')
    steps.append('eval "$node_env"')
    steps.append(
        "exec "
        + common.torchrun_command(
            job,
            common.script_args(job, ckpt, model_dir),
            nproc_per_node=common.processes_per_node(job),
        )
    )
    return "\n".join(steps)


def build_request(job: TrainingJob, outputs: Mapping[str, Any], run: str) -> Any:
    """The `CreateCustomJobRequest` proto for one submission named `run`."""
    v1 = _types()
    region = outputs["region"]
    storage = f"gs://{outputs['bucket_name']}"
    code_uri = source_uri(outputs, run)
    spec = machine_spec(job, region)
    image = job.image or (TPU_IMAGE if is_tpu(job.accelerator) else GPU_IMAGE)
    container = v1.ContainerSpec(
        image_uri=image,
        command=["bash", "-c", container_script(job, outputs, code_uri)],
        env=[v1.EnvVar(name=k, value=v) for k, v in sorted(job.environment.items())],
    )

    def pool(replicas: int) -> Any:
        return v1.WorkerPoolSpec(
            machine_spec=v1.MachineSpec(**spec),
            replica_count=replicas,
            container_spec=container,
            disk_spec=v1.DiskSpec(boot_disk_type="pd-ssd", boot_disk_size_gb=BOOT_DISK_GB),
        )

    pools = [pool(1)] + ([pool(job.nodes - 1)] if job.nodes > 1 else [])
    strategy = v1.Scheduling.Strategy.SPOT if job.spot else v1.Scheduling.Strategy.STANDARD
    job_spec = v1.CustomJobSpec(
        worker_pool_specs=pools,
        scheduling=v1.Scheduling(
            strategy=strategy,
            # A preempted or failed replica restarts the whole job, which resumes
            # from the newest checkpoint.
            restart_job_on_worker_restart=True,
            timeout=f"{int(job.max_run_hours * 3600)}s",
        ),
        service_account=outputs["training_service_account"],
        base_output_directory=v1.GcsDestination(output_uri_prefix=common.output_uri(job, storage)),
    )
    if outputs.get("tensorboard_id"):
        job_spec.tensorboard = outputs["tensorboard_id"]
    custom_job = v1.CustomJob(
        display_name=run,
        job_spec=job_spec,
        encryption_spec=v1.EncryptionSpec(kms_key_name=outputs["kms_key_id"]),
        labels={"pioneer-job": job.name.lower(), "capacity": job.capacity.replace("_", "-")},
    )
    return v1.CreateCustomJobRequest(
        parent=f"projects/{outputs['project']}/locations/{region}",
        custom_job=custom_job,
    )


def source_uri(outputs: Mapping[str, Any], run: str) -> str:
    """Where submit puts the code's tarball (read back through the /gcs mount)."""
    return f"gs://{outputs['bucket_name']}/code/{run}/source.tar.gz"


def _prepare(job: TrainingJob, outputs: Mapping[str, Any]) -> None:
    common.validate_job(job, BACKEND)
    common.require_outputs(outputs, REQUIRED_OUTPUTS, BACKEND)


def to_dict(request: Any) -> dict[str, Any]:
    return type(request).to_dict(
        request, use_integers_for_enums=False, always_print_fields_with_no_presence=False
    )


def dry_run(job: TrainingJob, outputs: Mapping[str, Any]) -> dict[str, Any]:
    """The CreateCustomJob request `submit` would send, and the code upload before it."""
    _prepare(job, outputs)
    run = common.run_name(job)
    request = to_dict(build_request(job, outputs, run))
    code = common.upload(job.source_dir, source_uri(outputs, run), entry_point=job.entry_point)
    machine = request["custom_job"]["job_spec"]["worker_pool_specs"][0]["machine_spec"]
    price = common.price_estimate("gcp", outputs["region"], machine["machine_type"], job)
    return common.envelope(
        BACKEND, "aiplatform.v1.JobService.CreateCustomJob", request, [code], price
    )


def credentials() -> tuple[Any, str | None]:
    """Application Default Credentials, or a clear error before anything is sent."""
    import google.auth
    from google.auth.exceptions import DefaultCredentialsError

    try:
        return google.auth.default(scopes=["https://www.googleapis.com/auth/cloud-platform"])
    except DefaultCredentialsError as e:
        raise BackendError(
            f"{BACKEND}: no Google Cloud credentials found; run "
            "`gcloud auth application-default login` or set GOOGLE_APPLICATION_CREDENTIALS "
            f"({e})"
        ) from None


def _upload_source(job: TrainingJob, outputs: Mapping[str, Any], run: str, creds: Any) -> str:
    from google.cloud import storage

    tarball = common.source_tarball(job.source_dir)
    try:
        uri = source_uri(outputs, run)
        client = storage.Client(project=outputs["project"], credentials=creds)
        blob = client.bucket(outputs["bucket_name"]).blob(uri.split("/", 3)[3])
        blob.upload_from_filename(str(tarball))
    finally:
        tarball.unlink(missing_ok=True)
    return uri


def _job_client(region: str, creds: Any) -> Any:
    from google.cloud.aiplatform_v1.services.job_service import JobServiceClient

    return JobServiceClient(
        credentials=creds, client_options={"api_endpoint": f"{region}-aiplatform.googleapis.com"}
    )


@dataclass
class VertexJob:
    """A submitted CustomJob; every call asks the service."""

    name: str
    """Resource name: projects/<p>/locations/<r>/customJobs/<id>."""
    client: Any = field(repr=False)
    credentials: Any = field(default=None, repr=False)

    def status(self) -> str:
        return self.client.get_custom_job(name=self.name).state.name

    def wait(self, poll_seconds: float = 30.0) -> str:
        while (state := self.status()) not in TERMINAL:
            time.sleep(poll_seconds)
        return state

    def cancel(self) -> None:
        self.client.cancel_custom_job(name=self.name)

    def logs(self) -> str:
        """The job's log lines from Cloud Logging (resource type ml_job)."""
        from google.auth.transport.requests import AuthorizedSession

        project = self.name.split("/")[1]
        job_id = self.name.rsplit("/", 1)[1]
        response = AuthorizedSession(self.credentials).post(
            "https://logging.googleapis.com/v2/entries:list",
            json={
                "resourceNames": [f"projects/{project}"],
                "orderBy": "timestamp asc",
                "filter": f'resource.type="ml_job" AND resource.labels.job_id="{job_id}"',
            },
            timeout=60,
        )
        response.raise_for_status()
        entries = response.json().get("entries", [])
        return "\n".join(str(e.get("textPayload") or e.get("jsonPayload", "")) for e in entries)


def submit(job: TrainingJob, outputs: Mapping[str, Any]) -> VertexJob:
    """Upload the code to the platform bucket and create the CustomJob."""
    _prepare(job, outputs)
    creds, _ = credentials()  # before any upload
    run = common.run_name(job)
    request = build_request(job, outputs, run)  # validates before uploading
    _upload_source(job, outputs, run, creds)
    client = _job_client(outputs["region"], creds)
    created = client.create_custom_job(request=request)
    return VertexJob(name=created.name, client=client, credentials=creds)
