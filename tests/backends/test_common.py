"""Shared backend helpers: job validation, script arguments, torchrun line, shipped files."""

from __future__ import annotations

import dataclasses
import shlex
import tarfile

import pytest

from training.backends import common
from training.backends.common import BackendError


def test_validation_names_every_bad_field(job):
    bad = dataclasses.replace(
        job, name="bad name!", nodes=0, accelerator="H1000", capacity="cheap", max_run_hours=0
    )
    with pytest.raises(BackendError) as e:
        common.validate_job(bad, "vertex")
    msg = str(e.value)
    for field in (
        "name:",
        "nodes: 0",
        "accelerator: 'H1000' is not one of",
        "capacity: 'cheap'",
        "max_run_hours: 0",
    ):
        assert field in msg


def test_storage_flags_belong_to_the_backend(job):
    with pytest.raises(BackendError, match="args: --ckpt-dir is set by the sagemaker backend"):
        common.validate_job(dataclasses.replace(job, args=("--ckpt-dir=/x",)), "sagemaker")


def test_entry_point_must_exist_in_the_source(job):
    with pytest.raises(BackendError, match="entry_point 'training/missing.py' not found"):
        common.validate_job(dataclasses.replace(job, entry_point="training/missing.py"), "x")


def test_args_to_hyperparameters():
    assert common.args_to_hyperparameters(
        ["--model", "lm", "--lr=0.001", "--max-steps", "10"], "sagemaker"
    ) == {"model": "lm", "lr": "0.001", "max-steps": "10"}
    with pytest.raises(BackendError, match="'--bf16' has no value"):
        common.args_to_hyperparameters(["--bf16"], "sagemaker")
    with pytest.raises(BackendError, match="'digits' is not a --key"):
        common.args_to_hyperparameters(["digits"], "sagemaker")


def test_torchrun_line_quotes_arguments_but_keeps_node_variables(job):
    line = common.torchrun_command(
        dataclasses.replace(job, nodes=4), ["--tag", "a b; rm -rf /"], nproc_per_node=8
    )
    words = shlex.split(line)
    assert words[:3] == ["torchrun", "--nnodes=4", "--nproc_per_node=8"]
    assert "--node_rank=$NODE_RANK" in words  # left for the node's shell to expand
    assert words[-3:] == ["training/train.py", "--tag", "a b; rm -rf /"]


def test_tarball_ships_code_without_caches(source_dir):
    tarball = common.source_tarball(str(source_dir))
    try:
        with tarfile.open(tarball) as tar:
            names = sorted(tar.getnames())
    finally:
        tarball.unlink()
    assert names == ["training/requirements.txt", "training/train.py"]


def test_tpu_runs_one_process_per_host(job):
    assert common.processes_per_node(job) == 8
    tpu = dataclasses.replace(job, accelerator="TPU-v5e", accelerators_per_node=4)
    assert common.processes_per_node(tpu) == 1
