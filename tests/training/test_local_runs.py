"""Real multi-process training runs on this CPU (torchrun, gloo): accuracy, tracking, energy,
exact resume after SIGTERM and SIGKILL, and ranks under simulated managed-service environments.
"""

from __future__ import annotations

import json
import os
import socket
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from stacks.cli import app
from training.backends.local import ENTRY_POINT, LocalRun, LocalRunError, run_local

pytestmark = pytest.mark.slow

# Small and quick: 60 steps, a checkpoint every 10; no MLflow/energy in the resume runs
# (tracking is checked once, on the default run).
RESUME_ARGS = [
    "--model",
    "digits",
    "--max-steps",
    "60",
    "--ckpt-every",
    "10",
    "--log-every",
    "5",
    "--tracking",
    "none",
    "--no-energy",
]
INTERRUPT_AT = 25


@pytest.fixture(scope="module")
def digits_run(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    """The README's command: `pioneer train --backend local --nproc 2 --model digits --json`."""
    out = tmp_path_factory.mktemp("digits")
    res = CliRunner().invoke(
        app,
        [
            "train",
            "--backend",
            "local",
            "--nproc",
            "2",
            "--model",
            "digits",
            "--json",
            "--output-dir",
            str(out),
        ],
    )
    assert res.exit_code == 0, res.output
    return json.loads(res.stdout)


def test_two_process_ddp_reaches_95_percent(digits_run: dict[str, Any]) -> None:
    assert digits_run["status"] == "completed"
    assert digits_run["world_size"] == 2 and digits_run["final_step"] == 300
    assert digits_run["resumed_from_step"] is None
    assert digits_run["test_accuracy"] >= 0.95
    assert digits_run["samples_per_second"] > 0
    assert len(digits_run["weights_sha256"]) == 64


def test_summary_carries_measured_energy(digits_run: dict[str, Any]) -> None:
    assert digits_run["energy_kwh"] > 0 and digits_run["emissions_kg"] > 0
    (m,) = digits_run["energy_measurements"]  # one machine, measured by local rank 0
    assert m["method"].startswith("codecarbon") and m["country_iso_code"] == "USA"
    parts = m["cpu_energy_kwh"] + m["gpu_energy_kwh"] + m["ram_energy_kwh"]
    assert digits_run["energy_kwh"] == pytest.approx(parts, rel=1e-6)


def test_mlflow_run_has_metrics_and_registered_model(digits_run: dict[str, Any]) -> None:
    from mlflow.tracking import MlflowClient

    out = Path(digits_run["output_dir"])
    store = f"sqlite:///{out}/mlflow.db"
    # registry_uri too: MlflowClient otherwise takes the process's global registry URI,
    # which an earlier in-process pipeline test may have set
    client = MlflowClient(tracking_uri=store, registry_uri=store)
    run = client.get_run(digits_run["mlflow_run_id"])
    assert run.info.status == "FINISHED"
    assert run.data.params["model"] == "digits" and run.data.params["world_size"] == "2"
    assert run.data.metrics["test_accuracy"] == pytest.approx(digits_run["test_accuracy"])
    assert run.data.metrics["energy_kwh"] == pytest.approx(digits_run["energy_kwh"])
    losses = client.get_metric_history(run.info.run_id, "loss")
    assert len(losses) == 30 and losses[-1].step == 300 and losses[-1].value < losses[0].value
    versions = client.search_model_versions("name='pioneer-digits'")
    assert [v.run_id for v in versions] == [run.info.run_id]
    assert digits_run["registered_model"] == {
        "name": "pioneer-digits",
        "version": versions[0].version,
    }
    assert Path(out / "mlartifacts").is_dir()  # artifacts stay local


@pytest.fixture(scope="module")
def reference(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Any]:
    return run_local(2, RESUME_ARGS, tmp_path_factory.mktemp("reference"))


def _interrupt(out: Path, how: str, extra: list[str]) -> tuple[LocalRun, int]:
    """Start a slowed-down run and stop it once step INTERRUPT_AT is reported."""
    run = LocalRun(2, [*RESUME_ARGS, *extra, "--step-sleep", "0.05"], out).start()
    seen = 0
    for event in run.events():
        seen = event.get("step", seen)
        if seen >= INTERRUPT_AT and "event" not in event:
            run.interrupt() if how == "term" else run.kill()
            break
    return run, seen


def test_sigterm_checkpoints_and_resume_is_bit_exact(
    reference: dict[str, Any], tmp_path: Path
) -> None:
    # Tracked and measured: the resumed job continues the same MLflow run and energy total.
    tracked = ["--tracking", "mlflow", "--energy"]
    run, seen = _interrupt(tmp_path, "term", tracked)
    stopped = run.wait()
    assert stopped["status"] == "interrupted"
    assert seen <= stopped["final_step"] < 60
    # The equality below means something: part-way weights do differ from the final ones.
    assert stopped["weights_sha256"] != reference["weights_sha256"]
    assert (tmp_path / "checkpoints" / f"step-{stopped['final_step']:08d}.json").is_file()
    resumed = run_local(2, [*RESUME_ARGS, *tracked], tmp_path)
    assert resumed["resumed_from_step"] == stopped["final_step"]
    assert resumed["status"] == "completed" and resumed["final_step"] == 60
    assert resumed["weights_sha256"] == reference["weights_sha256"]

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=resumed["mlflow_tracking_uri"])
    assert resumed["mlflow_run_id"] == stopped["mlflow_run_id"]
    run_info = client.get_run(resumed["mlflow_run_id"]).info
    assert run_info.status == "FINISHED"
    steps = {m.step for m in client.get_metric_history(run_info.run_id, "loss")}
    assert steps == set(range(5, 61, 5))  # both segments, one run

    assert stopped["energy_kwh_total"] == stopped["energy_kwh"] > 0
    assert resumed["energy_kwh"] > 0
    assert resumed["energy_kwh_total"] == pytest.approx(
        stopped["energy_kwh_total"] + resumed["energy_kwh"], rel=0.02
    )


def test_sigkill_resumes_from_last_periodic_checkpoint_bit_exact(
    reference: dict[str, Any], tmp_path: Path
) -> None:
    run, seen = _interrupt(tmp_path, "kill", [])
    with pytest.raises(LocalRunError, match="training failed"):
        run.wait()  # no summary: nobody had a chance to write one
    resumed = run_local(2, RESUME_ARGS, tmp_path)
    start = resumed["resumed_from_step"]
    assert start is not None and start % 10 == 0 and 10 <= start <= seen + 10
    assert resumed["final_step"] == 60
    assert resumed["weights_sha256"] == reference["weights_sha256"]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _ranks(out: Path) -> list[dict[str, Any]]:
    return sorted(
        (json.loads(p.read_text()) for p in (out / "ranks").glob("rank-*.json")),
        key=lambda r: r["rank"],
    )


def _run_shell(script: str, env: dict[str, str], cwd: Path) -> None:
    proc = subprocess.run(
        ["bash", "-c", script],
        env={**os.environ, **env},
        cwd=cwd,
        capture_output=True,
        text=True,
        timeout=240,
    )
    assert proc.returncode == 0, proc.stderr[-3000:]


TINY = "--max-steps 2 --tracking none --no-energy --log-every 1"


def test_vertex_node_level_env_through_torchrun(tmp_path: Path) -> None:
    """Vertex sets RANK/WORLD_SIZE per node (here: node 0 of 1); torchrun in the container
    command turns them into per-process values before the entry point reads them."""
    env = {
        "RANK": "0",
        "WORLD_SIZE": "1",
        "MASTER_ADDR": "127.0.0.1",
        "MASTER_PORT": str(_free_port()),
        "CLUSTER_SPEC": '{"task": {"type": "workerpool0"}}',
        "AIP_MODEL_DIR": "gs://bucket/model",
        "OMP_NUM_THREADS": "1",
    }
    script = (
        f'{sys.executable} -m torch.distributed.run --nnodes="$WORLD_SIZE" '
        f'--node-rank="$RANK" --nproc-per-node=2 --master-addr="$MASTER_ADDR" '
        f'--master-port="$MASTER_PORT" {ENTRY_POINT} {TINY} '
        f"--output-dir {tmp_path} --ckpt-dir {tmp_path}/ckpt"
    )
    _run_shell(script, env, tmp_path)
    ranks = _ranks(tmp_path)
    assert [(r["rank"], r["local_rank"], r["world_size"]) for r in ranks] == [(0, 0, 2), (1, 1, 2)]
    assert json.loads((tmp_path / "summary.json").read_text())["world_size"] == 2


def test_sagemaker_env_defaults_and_ranks(tmp_path: Path) -> None:
    """SageMaker's torchrun driver on host algo-1: per-process ranks, and outputs land in
    SM_MODEL_DIR without any --output-dir."""
    model_dir = tmp_path / "opt-ml-model"
    env = {
        "SM_HOSTS": '["algo-1"]',
        "SM_CURRENT_HOST": "algo-1",
        "SM_NUM_GPUS": "0",
        "SM_MODEL_DIR": str(model_dir),
        "OMP_NUM_THREADS": "1",
    }
    script = (
        f"{sys.executable} -m torch.distributed.run --nnodes=1 --node-rank=0 "
        f"--nproc-per-node=2 --master-addr=127.0.0.1 --master-port={_free_port()} "
        f"{ENTRY_POINT} {TINY} --ckpt-dir {tmp_path}/ckpt"
    )
    _run_shell(script, env, tmp_path)
    ranks = _ranks(model_dir)
    assert [(r["rank"], r["local_rank"], r["world_size"]) for r in ranks] == [(0, 0, 2), (1, 1, 2)]
    summary = json.loads((model_dir / "summary.json").read_text())
    assert summary["final_step"] == 2 and summary["checkpoint_dir"] == str(tmp_path / "ckpt")


def test_failed_run_reports_the_workers_error(tmp_path: Path) -> None:
    res = CliRunner().invoke(
        app,
        [
            "train",
            "--backend",
            "local",
            "--nproc",
            "1",
            "--output-dir",
            str(tmp_path),
            "--",
            "--batch-size",
            "5000",
        ],
    )
    assert res.exit_code == 1
    text = " ".join(res.output.split())
    assert "--batch-size 5000 is larger than this rank's 1437 training samples" in text
    assert "ChildFailedError" not in text  # torchrun's own traceback stays in the log file


def test_spot_controller_preempts_resumes_and_matches_an_uninterrupted_run(
    reference: dict[str, Any], tmp_path: Path
) -> None:
    """`pioneer train --spot-trace`'s controller: the trace preempts the run, the policy
    restarts it, it resumes from its checkpoint and ends bit-exact with `reference`."""
    import time

    import numpy as np

    from cost.simulate import Trace
    from cost.spot_policies import get_policy
    from training.spot_controller import LocalCapacity, control

    # 300 s ticks: spot up for 4 ticks, gone for 3, then up; 1 tick = 0.5 wall s.
    trace = Trace("test", 300, np.array([1] * 4 + [0] * 3 + [1] * 2000, dtype=bool))
    cap = LocalCapacity(2, [*RESUME_ARGS, "--step-sleep", "0.05"], tmp_path, max_steps=60)
    ticks = 0

    def clock(seconds: float) -> None:
        # The trace's clock waits for the run before the outage, so that the preemption
        # lands mid-training however loaded this machine is.
        nonlocal ticks
        ticks += 1
        if ticks == 4:
            end = time.monotonic() + 300
            while cap.step < INTERRUPT_AT and cap.alive() and time.monotonic() < end:
                time.sleep(0.05)
        time.sleep(seconds)

    res = control(trace, get_policy("pioneer"), cap, time_scale=600, sleep=clock)
    assert res.preemptions >= 1 and res.starts >= 2
    assert "spot" not in res.actions[4:7]  # never on spot while the trace says it is gone
    assert cap.summary is not None and cap.summary["status"] == "completed"
    assert cap.summary["final_step"] == 60
    assert any(r is not None and 0 < r < 60 for r in cap.resumed_from)  # a real resume
    assert res.deadline_met and res.cost_usd > 0
    assert cap.summary["weights_sha256"] == reference["weights_sha256"]
