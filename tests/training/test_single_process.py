"""The entry point as one plain process (no torchrun variables): the LM workload learns."""

from __future__ import annotations

import json
import math
import os
import shutil
import signal
from pathlib import Path

import pytest

from training import train
from training.models import LMConfig, TinyLM


@pytest.fixture
def keep_sigterm_handler():
    before = signal.getsignal(signal.SIGTERM)
    yield
    signal.signal(signal.SIGTERM, before)


def test_lm_learns_the_markov_chain_and_reports_throughput(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep_sigterm_handler: None
) -> None:
    for var in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(var, raising=False)
    rc = train.main(
        [
            "--model",
            "lm",
            "--max-steps",
            "40",
            "--batch-size",
            "8",
            "--seq-len",
            "32",
            "--d-model",
            "64",
            "--n-layers",
            "1",
            "--vocab-size",
            "64",
            "--lm-samples",
            "512",
            "--tracking",
            "none",
            "--no-energy",
            "--output-dir",
            str(tmp_path),
            "--threads",
            "1",
        ]
    )
    assert rc == 0
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["world_size"] == 1 and s["final_step"] == 40 and s["test_accuracy"] is None
    # Uniform guessing costs ln(64) = 4.16 nats; the chain has 4 successors per token (1.39).
    assert s["final_loss"] < math.log(64) - 1.0
    assert s["tokens_per_second"] == pytest.approx(s["samples_per_second"] * 32)
    assert (
        s["parameters"]
        == TinyLM(LMConfig(vocab_size=64, seq_len=32, d_model=64, n_layers=1)).num_params()
    )
    assert (
        sorted(p.name for p in (tmp_path / "checkpoints").glob("*.json"))[-1]
        == "step-00000040.json"
    )


def test_bad_arguments_are_rejected_with_the_flag_name(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit):
        train.parse_args(["--batch-size", "0"])
    assert "--batch-size must be >= 1" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        train.parse_args(["--country", "XX"])
    assert "ISO-3166 alpha-3" in capsys.readouterr().err
    with pytest.raises(ValueError, match="divisible by n_heads"):
        LMConfig(d_model=100, n_heads=3)


def test_an_unreachable_tracking_store_does_not_stop_training(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    keep_sigterm_handler: None,
    capfd: pytest.CaptureFixture[str],
) -> None:
    """Azure ML sets MLFLOW_TRACKING_URI=azureml://…; without its plugin, training goes on."""
    for var in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.setenv("MLFLOW_TRACKING_URI", "azureml://eastus.api.azureml.ms/mlflow/v1.0/x")
    assert (
        train.main(
            ["--max-steps", "5", "--no-energy", "--output-dir", str(tmp_path), "--threads", "1"]
        )
        == 0
    )
    s = json.loads((tmp_path / "summary.json").read_text())
    assert s["status"] == "completed" and s["final_step"] == 5
    assert s["mlflow_run_id"] is None and s["registered_model"] is None
    assert "continuing without tracking" in capfd.readouterr().err


def test_use_tracking_uri_leaves_no_mlflow_uri_in_the_environment(monkeypatch, tmp_path):
    """mlflow exports both URIs to os.environ; later torchrun workers would inherit them."""
    from training.tracking import use_tracking_uri

    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.delenv("MLFLOW_REGISTRY_URI", raising=False)
    use_tracking_uri(f"sqlite:///{tmp_path}/a.db", registry=True)
    assert "MLFLOW_TRACKING_URI" not in os.environ and "MLFLOW_REGISTRY_URI" not in os.environ
    monkeypatch.setenv("MLFLOW_REGISTRY_URI", "sqlite:///users-own.db")
    use_tracking_uri(f"sqlite:///{tmp_path}/b.db", registry=True)
    assert os.environ["MLFLOW_REGISTRY_URI"] == "sqlite:///users-own.db"


@pytest.mark.slow
def test_sagemaker_restart_with_a_fresh_model_dir_continues_the_mlflow_run(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, keep_sigterm_handler: None
) -> None:
    """A spot restart restores /opt/ml/checkpoints, not /opt/ml/model: the store must survive."""
    for var in ("RANK", "LOCAL_RANK", "WORLD_SIZE", "MASTER_ADDR", "MASTER_PORT"):
        monkeypatch.delenv(var, raising=False)
    monkeypatch.delenv("MLFLOW_TRACKING_URI", raising=False)
    monkeypatch.setenv("SM_CURRENT_HOST", "algo-1")
    model, ckpts = tmp_path / "model", tmp_path / "checkpoints"

    def segment(steps: int) -> dict:
        argv = ["--max-steps", str(steps), "--ckpt-every", "2", "--no-energy", "--threads", "1"]
        assert train.main([*argv, "--output-dir", str(model), "--ckpt-dir", str(ckpts)]) == 0
        return json.loads((model / "summary.json").read_text())

    first = segment(4)
    shutil.rmtree(model)  # the replacement instance's /opt/ml/model is empty
    second = segment(8)
    assert second["resumed_from_step"] == 4
    assert second["mlflow_run_id"] == first["mlflow_run_id"] is not None
    assert second["mlflow_tracking_uri"] == f"sqlite:///{ckpts / 'mlflow' / 'mlflow.db'}"

    from mlflow.tracking import MlflowClient

    client = MlflowClient(tracking_uri=second["mlflow_tracking_uri"])
    steps = {m.step for m in client.get_metric_history(second["mlflow_run_id"], "loss")}
    assert {4, 8} <= steps  # both segments' losses, in one run
