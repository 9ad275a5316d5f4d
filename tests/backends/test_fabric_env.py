"""Multi-node jobs carry their fabric's NCCL settings, on every backend that has a fabric."""

from __future__ import annotations

import dataclasses

from components.aws.interconnect import EFA_INTERFACES
from training.backends import azureml, sagemaker
from training.backends.fabric import EFA_FAMILIES, managed_nccl_env


def test_efa_families_follow_the_components_efa_table():
    assert {t.split(".")[0] for t in EFA_INTERFACES} == EFA_FAMILIES


def test_settings_only_for_multi_node_jobs_on_a_fabric():
    assert managed_nccl_env("aws", "ml.p5.48xlarge", 2)["FI_PROVIDER"] == "efa"
    assert managed_nccl_env("aws", "ml.p5.48xlarge", 1) == {}  # one node: NVLink only
    assert managed_nccl_env("aws", "ml.g6e.48xlarge", 4) == {}  # no EFA on g6e
    assert managed_nccl_env("azure", "Standard_ND96amsr_A100_v4", 2)["NCCL_SOCKET_IFNAME"] == "eth0"
    assert managed_nccl_env("gcp", "a3-highgpu-8g", 2) == {}  # TCPX not set up by pioneer


def test_sagemaker_multi_node_p4d_job_gets_efa_settings(job, aws_outputs):
    two = dataclasses.replace(job, accelerator="A100", accelerators_per_node=8, nodes=2)
    req = sagemaker.dry_run(two, aws_outputs)["request"]
    env = req["Environment"]
    assert req["ResourceConfig"]["InstanceType"].startswith("ml.p4d")
    assert env["FI_PROVIDER"] == "efa" and env["FI_EFA_USE_DEVICE_RDMA"] == "1"
    one = sagemaker.dry_run(dataclasses.replace(two, nodes=1), aws_outputs)["request"]
    assert "FI_PROVIDER" not in one.get("Environment", {})


def test_azureml_multi_node_nd_job_gets_infiniband_settings_and_the_job_env_wins(
    job, azure_outputs
):
    mine = dataclasses.replace(job, environment={"NCCL_SOCKET_IFNAME": "ib0"})
    body = azureml.rest_request(azureml.build_job(mine, azure_outputs, "r1"))["properties"]
    env = body["environmentVariables"]
    assert env["NCCL_IB_PCI_RELAXED_ORDERING"] == "1"
    assert env["NCCL_SOCKET_IFNAME"] == "ib0"  # the user's own setting is kept
