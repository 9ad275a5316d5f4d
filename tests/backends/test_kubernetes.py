"""The kubernetes backend: rendered JobSets per cloud and capacity, schema-valid, ranks wired."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import jsonschema
import pytest
from kubernetes.client import ApiClient

from training.backends import kubernetes as k8s
from training.backends.common import BackendError
from training.job import TrainingJob

REPO = Path(__file__).resolve().parents[2]
KUBECONFIG = "apiVersion: v1\nkind: Config\n"
DIGEST = "sha256:" + "ab" * 32

OUTPUTS: dict[str, dict[str, Any]] = {
    "aws": {
        "cloud": "aws",
        "region": "us-east-1",
        "bucket_name": "mlp-aws-data-1a2b",
        "registry_url": "123456789012.dkr.ecr.us-east-1.amazonaws.com/mlp-aws-train",
        "training_image": f"123456789012.dkr.ecr.us-east-1.amazonaws.com/mlp-aws-train:src-1@{DIGEST}",
        "kubeconfig": KUBECONFIG,
        "node_pools": [
            {"name": "system", "capacity": "on_demand", "accelerator": None},
            {
                "name": "train-h100",
                "capacity": "spot",
                "accelerator": "H100",
                "accelerators_per_node": 8,
                "instance_types": ["p5.48xlarge"],
            },
            {
                "name": "h100-od",
                "capacity": "on_demand",
                "accelerator": "H100",
                "accelerators_per_node": 8,
                "instance_types": ["p5.48xlarge"],
            },
        ],
    },
    "gcp": {
        "cloud": "gcp",
        "region": "us-central1",
        "bucket_name": "mlp-gcp-data-1a2b",
        "registry_url": "us-central1-docker.pkg.dev/p/mlp-gcp",
        "training_image": f"us-central1-docker.pkg.dev/p/mlp-gcp/pioneer-train:src-1@{DIGEST}",
        "kubeconfig": KUBECONFIG,
        "node_pools": [
            {
                "name": "train-a100",
                "capacity": "spot",
                "accelerator": "A100",
                "accelerators_per_node": 8,
                "machine_type": "a2-highgpu-8g",
            },
            {
                "name": "train-tpu",
                "capacity": "spot",
                "accelerator": "TPU-v5e",
                "accelerators_per_node": 4,
                "tpu_topology": "2x2",
            },
        ],
    },
    "azure": {
        "cloud": "azure",
        "region": "eastus",
        "storage_account": "mlpazuredata1a2b",
        "bucket_name": "ml",
        "resource_group": "mlp-azure-rg",
        "registry_url": "mlpazure.azurecr.io",
        "training_image": f"mlpazure.azurecr.io/pioneer-train:src-1@{DIGEST}",
        "kubeconfig": KUBECONFIG,
        "workload_identity_client_id": "22222222-2222-2222-2222-222222222222",
        "node_pools": [
            {
                "name": "train-a100",
                "capacity": "spot",
                "accelerator": "A100-80GB",
                "accelerators_per_node": 8,
                "vm_size": "Standard_ND96amsr_A100_v4",
            }
        ],
    },
}

# The part of the JobSet v1alpha2 CRD schema the backend uses; unknown fields are errors.
JOBSET_SCHEMA = {
    "type": "object",
    "required": ["apiVersion", "kind", "metadata", "spec"],
    "properties": {
        "apiVersion": {"const": "jobset.x-k8s.io/v1alpha2"},
        "kind": {"const": "JobSet"},
        "metadata": {"type": "object", "required": ["name", "namespace"]},
        "spec": {
            "type": "object",
            "additionalProperties": False,
            "required": ["replicatedJobs"],
            "properties": {
                "failurePolicy": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"maxRestarts": {"type": "integer", "minimum": 0}},
                },
                "network": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "enableDNSHostnames": {"type": "boolean"},
                        "subdomain": {"type": "string"},
                    },
                },
                "replicatedJobs": {
                    "type": "array",
                    "minItems": 1,
                    "items": {
                        "type": "object",
                        "additionalProperties": False,
                        "required": ["name", "template"],
                        "properties": {
                            "name": {"type": "string"},
                            "replicas": {"type": "integer"},
                            "template": {"type": "object"},
                        },
                    },
                },
            },
        },
    },
}


def job(**kw: Any) -> TrainingJob:
    return TrainingJob(
        **{
            "name": "lm-run",
            "source_dir": str(REPO),
            "nodes": 2,
            "args": ("--model", "lm", "--max-steps", "1000"),
            **kw,
        }
    )


def jobset(objects: list[dict]) -> dict:
    return next(o for o in objects if o["kind"] == "JobSet")


def pod_of(js: dict) -> dict:
    return js["spec"]["replicatedJobs"][0]["template"]["spec"]["template"]


def roundtrip(obj: dict, model: str) -> Any:
    """Deserialise into the client's model and back: unknown or misspelt fields disappear."""
    client = ApiClient()
    return client.sanitize_for_serialization(client._ApiClient__deserialize(obj, model))


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_objects_are_valid_kubernetes_and_jobset(cloud):
    objects = k8s.render(job(), OUTPUTS[cloud])
    js = jobset(objects)
    jsonschema.validate(js, JOBSET_SCHEMA)
    job_template = js["spec"]["replicatedJobs"][0]["template"]
    assert roundtrip(job_template, "V1JobTemplateSpec") == job_template
    for obj in objects:
        if obj["kind"] == "PersistentVolume":
            assert roundtrip(obj, "V1PersistentVolume") == obj
        if obj["kind"] == "PersistentVolumeClaim":
            assert roundtrip(obj, "V1PersistentVolumeClaim") == obj


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_multi_node_rank_wiring_and_spot_recovery(cloud):
    js = jobset(k8s.render(job(), OUTPUTS[cloud]))
    spec = js["spec"]["replicatedJobs"][0]["template"]["spec"]
    assert spec["parallelism"] == spec["completions"] == 2 and spec["completionMode"] == "Indexed"
    assert js["spec"]["network"] == {"enableDNSHostnames": True, "subdomain": "lm-run"}
    assert js["spec"]["failurePolicy"]["maxRestarts"] >= 1
    pod = pod_of(js)["spec"]
    cmd = pod["containers"][0]["command"]
    launcher = cmd[: cmd.index("torchrun")]
    torchrun = cmd[len(launcher) :]
    assert torchrun[:6] == [
        "torchrun",
        "--nnodes=2",
        "--nproc_per_node=8",
        "--node_rank=$(NODE_RANK)",
        "--master_addr=lm-run-node-0-0.lm-run",
        "--master_port=29500",
    ]
    assert torchrun[6] == "training/train.py" and "--ckpt-dir" in torchrun
    node_rank = pod["containers"][0]["env"][0]
    assert node_rank["name"] == "NODE_RANK"
    assert "job-completion-index" in node_rank["valueFrom"]["fieldRef"]["fieldPath"]
    # torchrun runs under the launcher, which gives the workers the cloud's whole notice for
    # their stop checkpoint (torchrun's own 30 s is fixed in the images' torch); the pod's
    # grace period outlasts it.
    notice = {"aws": 120, "gcp": 30, "azure": 30}[cloud]
    assert launcher == ["python3", "-m", "training.launch", f"--shutdown-timeout={notice}", "--"]
    assert pod["terminationGracePeriodSeconds"] > notice
    assert pod["serviceAccountName"] == "trainer" and pod["restartPolicy"] == "Never"


def test_spot_gpu_pools_get_selectors_tolerations_and_limits_per_cloud():
    aws = pod_of(jobset(k8s.render(job(), OUTPUTS["aws"])))["spec"]
    assert aws["nodeSelector"] == {
        "pioneer.dev/pool": "train-h100",
        "eks.amazonaws.com/capacityType": "SPOT",
    }
    assert aws["containers"][0]["resources"]["limits"]["nvidia.com/gpu"] == "8"
    assert {"key": "nvidia.com/gpu", "operator": "Exists", "effect": "NoSchedule"} in aws[
        "tolerations"
    ]
    azure = pod_of(jobset(k8s.render(job(), OUTPUTS["azure"])))
    assert {
        "key": "kubernetes.azure.com/scalesetpriority",
        "operator": "Equal",
        "value": "spot",
        "effect": "NoSchedule",
    } in azure["spec"]["tolerations"]
    assert azure["metadata"]["labels"]["azure.workload.identity/use"] == "true"
    gcp = pod_of(jobset(k8s.render(job(), OUTPUTS["gcp"])))["spec"]
    assert gcp["nodeSelector"]["cloud.google.com/gke-spot"] == "true"


def test_on_demand_pool_has_no_spot_selector_or_toleration():
    pod = pod_of(jobset(k8s.render(job(pool="h100-od"), OUTPUTS["aws"])))["spec"]
    assert pod["nodeSelector"] == {"pioneer.dev/pool": "h100-od"}
    assert [t["key"] for t in pod["tolerations"]] == ["nvidia.com/gpu"]


def test_tpu_pool_is_refused_until_the_training_code_has_an_xla_path():
    # Rendered, the job would train on the TPU host's CPU while the TPU chips are billed.
    with pytest.raises(BackendError, match="pool 'train-tpu': TPU-v5e — TPU training is not"):
        k8s.render(job(pool="train-tpu"), OUTPUTS["gcp"])


def test_checkpoints_live_in_platform_storage():
    gcp = k8s.render(job(), OUTPUTS["gcp"])
    vol = pod_of(jobset(gcp))["spec"]["volumes"][0]
    assert vol["csi"]["driver"] == "gcsfuse.csi.storage.gke.io"
    assert vol["csi"]["volumeAttributes"]["bucketName"] == "mlp-gcp-data-1a2b"
    # EKS: Mountpoint for S3 cannot rename, so checkpoints go to local disk and are
    # synced to the bucket by the training code.
    aws = k8s.render(job(), OUTPUTS["aws"])
    assert [o["kind"] for o in aws] == ["JobSet"]
    aws_pod = pod_of(jobset(aws))["spec"]
    assert aws_pod["volumes"][0] == {"name": "checkpoints", "emptyDir": {}}
    cmd = aws_pod["containers"][0]["command"]
    assert cmd[cmd.index("--ckpt-sync") + 1] == "s3://mlp-aws-data-1a2b/checkpoints/lm-run"
    azure_pv = k8s.render(job(), OUTPUTS["azure"])[0]
    assert azure_pv["spec"]["csi"]["driver"] == "blob.csi.azure.com"
    assert azure_pv["spec"]["csi"]["volumeAttributes"]["containerName"] == "ml"
    env = {e["name"]: e.get("value") for e in pod_of(jobset(gcp))["spec"]["containers"][0]["env"]}
    assert env["PIONEER_CHECKPOINT_URI"] == "gs://mlp-gcp-data-1a2b/checkpoints/lm-run"


@pytest.mark.parametrize("cloud", ["aws", "gcp", "azure"])
def test_image_defaults_to_the_image_the_platform_built_by_digest(cloud):
    image = pod_of(jobset(k8s.render(job(), OUTPUTS[cloud])))["spec"]["containers"][0]["image"]
    assert image == OUTPUTS[cloud]["training_image"] and image.endswith(f"@{DIGEST}")
    custom = pod_of(jobset(k8s.render(job(image="repo/img:1"), OUTPUTS[cloud])))
    assert custom["spec"]["containers"][0]["image"] == "repo/img:1"
    # A stack that builds no image (image.build: false) needs --image, and says so.
    without = {k: v for k, v in OUTPUTS[cloud].items() if k != "training_image"}
    with pytest.raises(BackendError, match="image.build: false.*give --image"):
        k8s.render(job(), without)


def test_errors_name_what_is_missing():
    with pytest.raises(
        BackendError, match="pool 'nope' is not in the stack; pools: system, train-h100"
    ):
        k8s.render(job(pool="nope"), OUTPUTS["aws"])
    broken = {k: v for k, v in OUTPUTS["gcp"].items() if k != "bucket_name"}
    with pytest.raises(BackendError, match="lack bucket_name"):
        k8s.render(job(), broken)
    with pytest.raises(BackendError, match="name no cloud"):
        k8s.render(job(), {"bucket_name": "x"})


@pytest.mark.slow
def test_rendered_command_lines_rendezvous_as_two_pods_on_loopback(tmp_path):
    """Run each pod's command as a local process ("pods" 0 and 1 on 127.0.0.1)."""
    import json
    import os
    import socket
    import subprocess
    import sys

    rendered = job(
        name="ranks",
        args=(
            "--model",
            "digits",
            "--max-steps",
            "4",
            "--tracking",
            "none",
            "--no-energy",
            "--log-every",
            "1",
        ),
    )
    # GKE's rendering: checkpoints on the mounted bucket path (no S3 sync to reach out to).
    command = pod_of(jobset(k8s.render(rendered, OUTPUTS["gcp"])))["spec"]["containers"][0][
        "command"
    ]
    with socket.socket() as s:  # a free port for the rendezvous
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    procs = []
    for rank in (0, 1):
        argv = [
            a.replace("$(NODE_RANK)", str(rank))
            .replace("--master_addr=ranks-node-0-0.ranks", "--master_addr=127.0.0.1")
            .replace("--master_port=29500", f"--master_port={port}")
            .replace("--nproc_per_node=8", "--nproc_per_node=1")
            .replace(k8s.CHECKPOINT_MOUNT, str(tmp_path))
            for a in command
        ]
        # The pod's PID 1 is the launcher; torchrun is this interpreter's torch.distributed.run.
        at = argv.index("torchrun")
        assert argv[:3] == ["python3", "-m", "training.launch"]
        argv = [sys.executable, *argv[1:at], sys.executable, "-m", "torch.distributed.run"] + (
            argv[at + 1 :]
        )
        env = {**os.environ, "OMP_NUM_THREADS": "1", "PYTHONPATH": str(REPO)}
        procs.append(
            subprocess.Popen(
                argv, cwd=REPO, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True
            )
        )
    outs = [p.communicate(timeout=240)[0] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], outs
    ranks = sorted(
        json.loads(f.read_text())["rank"]
        for f in (tmp_path / "ranks" / "output" / "ranks").glob("*.json")
    )
    world = {
        json.loads(f.read_text())["world_size"]
        for f in (tmp_path / "ranks" / "output" / "ranks").glob("*.json")
    }
    assert ranks == [0, 1] and world == {2}


@pytest.mark.parametrize(
    "stack,storage",
    [("aws-dev", "s3://"), ("gcp-dev", "gs://"), ("azure-dev", "https://")],
)
def test_cli_dry_run_prints_a_multi_node_spot_job_for_each_stack(stack, storage):
    import json

    from typer.testing import CliRunner

    from stacks.cli import app

    result = CliRunner().invoke(
        app,
        [
            "train",
            "--backend",
            "kubernetes",
            "--stack",
            stack,
            "--nodes",
            "2",
            "--dry-run",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    doc = json.loads(result.stdout)
    js = jobset(doc["objects"])
    spec = js["spec"]["replicatedJobs"][0]["template"]["spec"]
    pod = spec["template"]["spec"]
    container = pod["containers"][0]
    assert spec["parallelism"] == 2 and "--nnodes=2" in container["command"]
    # aws-dev's p5 pool has EFA: the multi-node pod asks for all 32 interfaces of its node.
    efa = {"vpc.amazonaws.com/efa": "32"} if stack == "aws-dev" else {}
    limits = container["resources"]["limits"]
    assert {k: v for k, v in limits.items() if k not in ("cpu", "memory")} == {
        "nvidia.com/gpu": "8",
        **efa,
    }
    assert container["resources"]["requests"] == limits  # Guaranteed: requests are the limits
    assert any(t["key"] == "nvidia.com/gpu" for t in pod["tolerations"])
    assert pod["nodeSelector"]["pioneer.dev/pool"].startswith("train-")
    env = {e["name"]: e.get("value") for e in container["env"]}
    assert env["PIONEER_CHECKPOINT_URI"].startswith(storage)
    assert "training/train.py" in container["command"]


@pytest.mark.parametrize(
    "cloud,vcpus,memory_gib",
    [("aws", 192, 2048), ("gcp", 96, 680), ("azure", 96, 1800)],  # p5.48xlarge, a2, ND96amsr
)
def test_the_pod_takes_its_node_minus_the_kubelet_and_daemon_set_reserve(cloud, vcpus, memory_gib):
    container = pod_of(jobset(k8s.render(job(), OUTPUTS[cloud])))["spec"]["containers"][0]
    requests, limits = container["resources"]["requests"], container["resources"]["limits"]
    assert requests == limits  # Guaranteed QoS: the last pod evicted under memory pressure
    cpu, memory = int(requests["cpu"]), int(requests["memory"].removesuffix("Gi"))
    assert 0.9 * vcpus < cpu < vcpus and 0.9 * memory_gib < memory < memory_gib


def test_small_nodes_keep_room_for_the_system_and_an_unknown_type_is_an_error():
    from training.backends import pod

    # A 4 vCPU / 16 GiB node: GKE alone reserves 2.6 GiB and 0.08 vCPU for the kubelet.
    assert pod.allocatable(4, 16) == (2, 9)
    outputs = {**OUTPUTS["aws"], "node_pools": [{**OUTPUTS["aws"]["node_pools"][1]}]}
    outputs["node_pools"][0]["instance_types"] = ["p99.huge"]
    with pytest.raises(BackendError, match="pool 'train-h100': cannot size the pod: no aws offer"):
        k8s.render(job(), outputs)


def test_the_pod_is_hardened_with_writable_scratch_only_where_it_writes():
    spec = pod_of(jobset(k8s.render(job(), OUTPUTS["gcp"])))["spec"]
    container = spec["containers"][0]
    assert spec["automountServiceAccountToken"] is False
    assert spec["securityContext"]["runAsNonRoot"] is True
    assert spec["securityContext"]["runAsUser"] == 10001
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    volumes = {v["name"]: v for v in spec["volumes"]}
    assert volumes[mounts["/tmp"]] == {"name": "tmp", "emptyDir": {}}
    assert volumes[mounts["/dev/shm"]]["emptyDir"] == {"medium": "Memory"}
    assert mounts[k8s.CHECKPOINT_MOUNT] == "checkpoints"  # the output dir lives under it
    # The bucket mount belongs to the pod's user, not to root.
    assert (
        "uid=10001,gid=10001" in volumes["checkpoints"]["csi"]["volumeAttributes"]["mountOptions"]
    )
    assert {"name": "HOME", "value": "/tmp"} in container["env"]
