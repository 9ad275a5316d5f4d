"""The `kubernetes` backend: one multi-node JobSet on the cluster pioneer provisioned.

Why JobSet: it is the Kubernetes SIG's API for multi-node training (used by
GKE for multi-host TPU slices and by the Kubeflow Trainer v2); it creates the
headless service for the rendezvous, gives every pod a stable DNS name
(``<jobset>-node-0-<i>.<jobset>``), and restarts the whole set when a pod is
lost — which, with the training code resuming from the newest checkpoint, is
exactly spot recovery. The Kubeflow training operator does the same for
PyTorch only and is being replaced by Trainer v2 (built on JobSet).

The rendered objects (`dry_run`) are: a JobSet with one indexed Job of
``nodes`` pods (``torchrun --nnodes N --node_rank $(NODE_RANK)`` under
`training.launch`), and, where the checkpoint volume needs them, a
PersistentVolume and claim for the platform bucket or container mounted by the
cloud's object-storage CSI driver. The pods pass the workload policy rules
(components/policy/workloads.py): non-root, read-only, sized, by digest.
"""

from __future__ import annotations

import base64
import tempfile
import time
from collections.abc import Mapping
from typing import Any, cast

from components.k8s.addons import NAMESPACE, POOL_LABEL, SERVICE_ACCOUNT
from components.k8s.network import TRAINER_APP
from cost.accelerators import is_tpu
from training.backends import pod as pod_spec
from training.backends.common import (
    BackendError,
    processes_per_node,
    require_outputs,
    script_args,
    tpu_refusal,
    validate_job,
)
from training.backends.fabric import EFA_ENV, EFA_RESOURCE
from training.job import TrainingJob

MASTER_PORT = 29500
CHECKPOINT_MOUNT = "/mnt/checkpoints"
JOBSET_API = ("jobset.x-k8s.io", "v1alpha2", "jobsets")
# Spot notices: AWS gives 2 minutes, GCP and Azure about 30 s. The workers get the
# notice to write their stop checkpoint (`training.launch --shutdown-timeout`: the
# machine is gone after it anyway); the pod's grace period adds a margin for the
# launcher to report and exit before the kubelet's SIGKILL.
STOP_NOTICE_SECONDS = {"aws": 120, "gcp": 30, "azure": 30}
EXIT_MARGIN_SECONDS = 30
MAX_RESTARTS = 20
GKE_TPU_ACCELERATOR = {
    "TPU-v5e": "tpu-v5-lite-podslice",
    "TPU-v5p": "tpu-v5p-slice",
    "TPU-v4": "tpu-v4-podslice",
    "TPU-v6e": "tpu-v6e-slice",
}
_REQUIRED = {
    "aws": ("cloud", "region", "bucket_name", "node_pools", "kubeconfig"),
    "gcp": ("cloud", "region", "bucket_name", "node_pools", "kubeconfig"),
    "azure": (
        "cloud",
        "region",
        "storage_account",
        "bucket_name",
        "resource_group",
        "node_pools",
        "kubeconfig",
    ),
}


def _pool_name(pool: Mapping[str, Any]) -> str:
    """The spec's pool name (outputs may also carry the cloud's own, generated, name)."""
    return str(pool.get("pool") or pool.get("name") or "?")


def _pool(job: TrainingJob, outputs: Mapping[str, Any]) -> dict[str, Any]:
    pools = list(outputs.get("node_pools") or [])
    accelerated = [p for p in pools if p.get("accelerator")]
    if job.pool:
        chosen = next((p for p in pools if _pool_name(p) == job.pool), None)
        if chosen is None:
            raise BackendError(
                f"kubernetes: pool {job.pool!r} is not in the stack; pools: "
                f"{', '.join(_pool_name(p) for p in pools) or 'none'}"
            )
        return chosen
    spot = [p for p in accelerated if p.get("capacity") == "spot"]
    if not (spot or accelerated):
        raise BackendError("kubernetes: the stack has no GPU or TPU pool; add one to node_pools")
    return (spot or accelerated)[0]


def _image(job: TrainingJob, outputs: Mapping[str, Any]) -> str:
    """--image, else the image the platform built, by digest (never a moving tag)."""
    if job.image:
        return job.image
    image = outputs.get("training_image")
    if not image:
        raise BackendError(
            "kubernetes: the stack outputs have no training_image (the stack sets image.build: "
            "false); give --image REPOSITORY@sha256:DIGEST"
        )
    return str(image)


def _placement(cloud: str, pool: Mapping[str, Any]) -> tuple[dict[str, str], list[dict[str, Any]]]:
    """Node selector and tolerations for the pool's accelerator and capacity."""
    selector = {POOL_LABEL: _pool_name(pool)}
    tolerations: list[dict[str, Any]] = []
    accelerator = pool.get("accelerator")
    spot = pool.get("capacity") == "spot"
    if accelerator and is_tpu(accelerator):
        selector["cloud.google.com/gke-tpu-accelerator"] = GKE_TPU_ACCELERATOR[accelerator]
        if pool.get("tpu_topology"):
            selector["cloud.google.com/gke-tpu-topology"] = pool["tpu_topology"]
        tolerations.append({"key": "google.com/tpu", "operator": "Exists", "effect": "NoSchedule"})
    elif accelerator:
        tolerations.append({"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"})
    if spot:
        if cloud == "aws":
            selector["eks.amazonaws.com/capacityType"] = "SPOT"
        elif cloud == "gcp":
            selector["cloud.google.com/gke-spot"] = "true"
            tolerations.append(
                {
                    "key": "cloud.google.com/gke-spot",
                    "operator": "Equal",
                    "value": "true",
                    "effect": "NoSchedule",
                }
            )
        else:
            selector["kubernetes.azure.com/scalesetpriority"] = "spot"
            tolerations.append(
                {
                    "key": "kubernetes.azure.com/scalesetpriority",
                    "operator": "Equal",
                    "value": "spot",
                    "effect": "NoSchedule",
                }
            )
    return selector, tolerations


def _checkpoint_volume(
    job: TrainingJob, cloud: str, outputs: Mapping[str, Any]
) -> tuple[dict[str, Any], list[dict[str, Any]], dict[str, str], str]:
    """(pod volume, extra objects, pod annotations, storage URI) for the checkpoint mount.

    GKE and AKS mount the platform bucket/container with the cloud's CSI driver
    for object storage, through the pod's workload identity (no keys); EKS uses
    local disk synced to S3 by the training code.
    """
    pvc = f"{job.name}-checkpoints"
    if cloud == "gcp":
        uid = pod_spec.TRAINER_UID  # FUSE mounts belong to root unless told the pod's user
        volume = {
            "name": "checkpoints",
            "csi": {
                "driver": "gcsfuse.csi.storage.gke.io",
                "volumeAttributes": {
                    "bucketName": outputs["bucket_name"],
                    "mountOptions": f"implicit-dirs,only-dir=checkpoints,uid={uid},gid={uid}",
                },
            },
        }
        return (
            volume,
            [],
            {"gke-gcsfuse/volumes": "true"},
            f"gs://{outputs['bucket_name']}/checkpoints",
        )
    if cloud == "aws":
        # Mountpoint for S3 cannot rename, and checkpoints are written atomically by
        # renaming; so on EKS they go to local disk and the training code syncs them to S3
        # (`--ckpt-sync`, through the pod's identity), as SageMaker does for its own.
        volume = {"name": "checkpoints", "emptyDir": {}}
        return volume, [], {}, f"s3://{outputs['bucket_name']}/checkpoints"
    # azure
    attrs = {
        "storageAccount": outputs["storage_account"],
        "containerName": outputs["bucket_name"],
        "resourceGroup": outputs["resource_group"],
        "protocol": "fuse2",
    }
    if outputs.get("workload_identity_client_id"):
        attrs["clientID"] = outputs["workload_identity_client_id"]
    csi = {
        "driver": "blob.csi.azure.com",
        "volumeHandle": f"{outputs['storage_account']}-{outputs['bucket_name']}-{job.name}",
        "volumeAttributes": attrs,
    }
    options = ["-o allow_other", "--file-cache-timeout-in-seconds=0"]
    uri = (
        f"https://{outputs['storage_account']}.blob.core.windows.net/"
        f"{outputs['bucket_name']}/checkpoints"
    )
    pv = {
        "apiVersion": "v1",
        "kind": "PersistentVolume",
        "metadata": {"name": pvc, "labels": {"app.kubernetes.io/managed-by": "pioneer"}},
        "spec": {
            "capacity": {"storage": "1Ti"},
            "accessModes": ["ReadWriteMany"],
            "persistentVolumeReclaimPolicy": "Retain",
            "storageClassName": "",
            "claimRef": {"namespace": NAMESPACE, "name": pvc},
            "mountOptions": options,
            "csi": csi,
        },
    }
    claim = {
        "apiVersion": "v1",
        "kind": "PersistentVolumeClaim",
        "metadata": {"name": pvc, "namespace": NAMESPACE},
        "spec": {
            "accessModes": ["ReadWriteMany"],
            "storageClassName": "",
            "resources": {"requests": {"storage": "1Ti"}},
            "volumeName": pvc,
        },
    }
    return (
        {"name": "checkpoints", "persistentVolumeClaim": {"claimName": pvc}},
        [pv, claim],
        {},
        uri,
    )


def render(job: TrainingJob, outputs: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The Kubernetes objects for `job` on the stack's cluster, in apply order."""
    validate_job(job, "kubernetes")
    cloud = outputs.get("cloud")
    if cloud not in _REQUIRED:
        raise BackendError(
            f"kubernetes: the stack outputs name no cloud (got {cloud!r}); "
            "pass the outputs of a pioneer stack"
        )
    require_outputs(outputs, _REQUIRED[cloud], "kubernetes")
    pool = _pool(job, outputs)
    accelerator = pool.get("accelerator")
    if refusal := tpu_refusal(accelerator, f"pool {pool.get('name')!r}"):
        raise BackendError(f"kubernetes: {refusal}")
    per_node = int(pool.get("accelerators_per_node") or job.accelerators_per_node)
    nproc = processes_per_node(TrainingJob(accelerator=accelerator, accelerators_per_node=per_node))
    volume, extra, annotations, storage_uri = _checkpoint_volume(job, cloud, outputs)
    selector, tolerations = _placement(cloud, pool)
    master = f"{job.name}-node-0-0.{job.name}"
    ckpt_dir = f"{CHECKPOINT_MOUNT}/{job.name}"
    try:
        size = pod_spec.resources(cloud, str(outputs["region"]), pool)
    except pod_spec.SizingError as e:
        raise BackendError(f"kubernetes: {e}") from None
    notice = STOP_NOTICE_SECONDS[cloud]
    command = [
        "python3",
        "-m",
        "training.launch",
        f"--shutdown-timeout={notice}",
        "--",
        "torchrun",
        f"--nnodes={job.nodes}",
        f"--nproc_per_node={nproc}",
        "--node_rank=$(NODE_RANK)",
        f"--master_addr={master}",
        f"--master_port={MASTER_PORT}",
        job.entry_point,
        *script_args(job, ckpt_dir, f"{ckpt_dir}/output"),
    ]
    if cloud == "aws":
        # The checkpoints, and the output directory (summary, MLflow store) beside them.
        command += ["--ckpt-sync", f"{storage_uri}/{job.name}"]
    resource = "google.com/tpu" if accelerator and is_tpu(accelerator) else "nvidia.com/gpu"
    limits = {resource: str(per_node)} if accelerator else {}
    fabric_env: dict[str, str] = {}
    if job.nodes > 1 and pool.get("efa_interfaces"):
        # All of the node's EFA interfaces (one pod per node) and NCCL pointed at them.
        limits[EFA_RESOURCE] = str(pool["efa_interfaces"])
        fabric_env = EFA_ENV
    env = [
        {
            "name": "NODE_RANK",
            "valueFrom": {
                "fieldRef": {
                    "fieldPath": "metadata.annotations['batch.kubernetes.io/job-completion-index']"
                }
            },
        },
        {"name": "PIONEER_CHECKPOINT_URI", "value": f"{storage_uri}/{job.name}"},
        # Caches (MLflow, torch, pip) go to the writable /tmp: the root filesystem is read-only.
        {"name": "HOME", "value": "/tmp"},
        *({"name": k, "value": v} for k, v in sorted({**fabric_env, **job.environment}.items())),
    ]
    labels = {"app.kubernetes.io/name": TRAINER_APP, "app.kubernetes.io/instance": job.name}
    if cloud == "azure":
        labels["azure.workload.identity/use"] = "true"
    pod = {
        "metadata": {"labels": labels, "annotations": annotations},
        "spec": {
            "serviceAccountName": SERVICE_ACCOUNT,
            # No Kubernetes API token: the trainer never calls the API, and its cloud identity
            # brings its own (components/k8s/addons.py says how, per cloud).
            "automountServiceAccountToken": False,
            "securityContext": pod_spec.POD_SECURITY_CONTEXT,
            "restartPolicy": "Never",
            "terminationGracePeriodSeconds": notice + EXIT_MARGIN_SECONDS,
            "nodeSelector": selector,
            "tolerations": tolerations,
            "containers": [
                {
                    "name": "trainer",
                    "image": _image(job, outputs),
                    "command": command,
                    "env": env,
                    "ports": [{"containerPort": MASTER_PORT, "name": "rendezvous"}],
                    "securityContext": pod_spec.CONTAINER_SECURITY_CONTEXT,
                    "resources": {
                        "limits": {**size, **limits},
                        "requests": {**size, **limits},
                    },
                    "volumeMounts": [
                        {"name": "checkpoints", "mountPath": CHECKPOINT_MOUNT},
                        {"name": "dshm", "mountPath": "/dev/shm"},
                        {"name": "tmp", "mountPath": "/tmp"},
                    ],
                }
            ],
            "volumes": [
                volume,
                {"name": "dshm", "emptyDir": {"medium": "Memory"}},
                {"name": "tmp", "emptyDir": {}},
            ],
        },
    }
    jobset = {
        "apiVersion": "jobset.x-k8s.io/v1alpha2",
        "kind": "JobSet",
        "metadata": {"name": job.name, "namespace": NAMESPACE, "labels": labels},
        "spec": {
            # A lost pod (spot reclaim) restarts the whole set; training resumes from the checkpoint.
            "failurePolicy": {"maxRestarts": MAX_RESTARTS},
            "network": {"enableDNSHostnames": True, "subdomain": job.name},
            "replicatedJobs": [
                {
                    "name": "node",
                    "replicas": 1,
                    "template": {
                        "spec": {
                            "parallelism": job.nodes,
                            "completions": job.nodes,
                            "completionMode": "Indexed",
                            "backoffLimit": 0,
                            "template": pod,
                        }
                    },
                }
            ],
        },
    }
    return [*extra, jobset]


def dry_run(job: TrainingJob, outputs: Mapping[str, Any]) -> dict[str, Any]:
    objects = render(job, outputs)
    return {"backend": "kubernetes", "namespace": NAMESPACE, "objects": objects}


class KubernetesJob:
    """A submitted JobSet; follows its pods through the Kubernetes API."""

    def __init__(self, name: str, api_client: Any):
        from kubernetes import client

        self.name = name
        self._custom = client.CustomObjectsApi(api_client)
        self._core = client.CoreV1Api(api_client)

    def _pods(self) -> list[Any]:
        return self._core.list_namespaced_pod(
            NAMESPACE, label_selector=f"jobset.sigs.k8s.io/jobset-name={self.name}"
        ).items

    def status(self) -> str:
        # Custom objects come back as plain JSON dicts (the stubs only say `object`).
        obj = cast(
            dict[str, Any],
            self._custom.get_namespaced_custom_object(
                *JOBSET_API[:2], NAMESPACE, JOBSET_API[2], self.name
            ),
        )
        for cond in (obj.get("status") or {}).get("conditions", []):
            if cond.get("status") == "True" and cond.get("type") in ("Completed", "Failed"):
                return cond["type"]
        phases = sorted({p.status.phase for p in self._pods()})
        return "/".join(phases) or "Pending"

    def wait(self, poll_seconds: float = 15) -> str:
        while (state := self.status()) not in ("Completed", "Failed"):
            time.sleep(poll_seconds)
        return state

    def cancel(self) -> None:
        self._custom.delete_namespaced_custom_object(
            *JOBSET_API[:2], NAMESPACE, JOBSET_API[2], self.name
        )

    def logs(self) -> str:
        return "\n".join(
            self._core.read_namespaced_pod_log(p.metadata.name, NAMESPACE, container="trainer")
            for p in self._pods()
        )


def _api_client(kubeconfig: str) -> Any:
    from kubernetes import config

    text = kubeconfig
    try:  # outputs may carry it base64-encoded
        decoded = base64.b64decode(kubeconfig, validate=True).decode()
        if "apiVersion" in decoded:
            text = decoded
    except ValueError:
        pass
    with tempfile.NamedTemporaryFile("w", suffix=".yaml", delete=False) as f:
        f.write(text)
    return config.new_client_from_config(config_file=f.name)


def submit(job: TrainingJob, outputs: Mapping[str, Any]) -> KubernetesJob:
    """Apply the rendered objects with the stack's kubeconfig (needs cluster credentials)."""
    from kubernetes import client
    from kubernetes.client.rest import ApiException

    objects = render(job, outputs)
    try:
        api = _api_client(str(outputs["kubeconfig"]))
    except Exception as e:  # the kubernetes client raises many types for a bad config
        raise BackendError(f"kubernetes: cannot use the stack's kubeconfig: {e}") from None
    core = client.CoreV1Api(api)
    custom = client.CustomObjectsApi(api)
    for obj in objects:
        try:
            # The client serializes plain dict bodies as-is; the stubs only name the model classes.
            if obj["kind"] == "PersistentVolume":
                core.create_persistent_volume(cast(Any, obj))
            elif obj["kind"] == "PersistentVolumeClaim":
                core.create_namespaced_persistent_volume_claim(NAMESPACE, cast(Any, obj))
            else:
                custom.create_namespaced_custom_object(
                    *JOBSET_API[:2], NAMESPACE, JOBSET_API[2], obj
                )
        except ApiException as e:
            if e.status == 409 and obj["kind"] != "JobSet":
                continue  # a resubmitted job reuses its checkpoint volume
            raise BackendError(
                f"kubernetes: the cluster refused {obj['kind']} "
                f"{obj['metadata']['name']}: {e.reason} ({e.status})"
            ) from None
    return KubernetesJob(job.name, api)
