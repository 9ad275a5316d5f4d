"""`pioneer train` plumbing for managed backends, and where stack outputs come from."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import pytest
from typer.testing import CliRunner

import stacks.cli.train as train_cli
from stacks.cli import app
from stacks.plan import plan_outputs
from training import outputs as outputs_mod
from training.outputs import OutputsError, load_stack_outputs

runner = CliRunner()


@pytest.fixture
def no_pulumi(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(outputs_mod.shutil, "which", lambda name: None)


def test_outputs_from_file(tmp_path: Path) -> None:
    f = tmp_path / "out.json"
    f.write_text(json.dumps({"bucket_name": "b"}))
    assert load_stack_outputs("aws-dev", f, dry_run=False) == {"bucket_name": "b"}


@pytest.mark.parametrize(
    "content, message",
    [(None, "no file at"), ("{not json", "is not JSON"), ("[1, 2]", "must hold a JSON object")],
)
def test_bad_outputs_file_is_named(tmp_path: Path, content: str | None, message: str) -> None:
    f = tmp_path / "out.json"
    if content is not None:
        f.write_text(content)
    with pytest.raises(OutputsError, match=message):
        load_stack_outputs("aws-dev", f, dry_run=True)


def test_submit_without_pulumi_or_file_says_what_to_do(no_pulumi: None) -> None:
    with pytest.raises(OutputsError, match="pulumi up --stack aws-dev"):
        load_stack_outputs("aws-dev", None, dry_run=False)


def test_dry_run_without_pulumi_uses_the_offline_plan(no_pulumi: None) -> None:
    out = load_stack_outputs("aws-dev", None, dry_run=True, plan_outputs=plan_outputs)
    assert out["cloud"] == "aws" and out["bucket_name"].startswith("mlp-aws")


def _fake_backend(calls: list[tuple[str, Any, dict]]) -> SimpleNamespace:
    def dry_run(job: Any, outputs: dict) -> dict:
        calls.append(("dry_run", job, outputs))
        return {"request": {"args": list(job.args), "bucket": outputs["bucket_name"]}}

    def submit(job: Any, outputs: dict) -> Any:
        calls.append(("submit", job, outputs))
        return SimpleNamespace(status=lambda: "InProgress")

    return SimpleNamespace(dry_run=dry_run, submit=submit)


def test_dry_run_builds_the_job_from_the_stack_pool(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    calls: list[tuple[str, Any, dict]] = []
    monkeypatch.setattr(train_cli, "get_backend", lambda name: _fake_backend(calls))
    f = tmp_path / "out.json"
    f.write_text(json.dumps({"bucket_name": "my-bucket"}))
    res = runner.invoke(
        app,
        [
            "train",
            "--backend",
            "sagemaker",
            "--dry-run",
            "--json",
            "--outputs",
            str(f),
            "--model",
            "lm",
            "--max-steps",
            "40",
            "--nodes",
            "2",
            "--on-demand",
        ],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["request"]["bucket"] == "my-bucket"
    assert doc["request"]["args"] == ["--model", "lm", "--max-steps", "40"]
    ((kind, job, _),) = calls
    assert kind == "dry_run" and job.nodes == 2 and job.capacity == "on_demand"
    assert job.pool == "train-h100" and job.accelerator == "H100" and job.accelerators_per_node == 8


def test_submit_reports_status(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[tuple[str, Any, dict]] = []
    monkeypatch.setattr(train_cli, "get_backend", lambda name: _fake_backend(calls))
    f = tmp_path / "out.json"
    f.write_text(json.dumps({"bucket_name": "b"}))
    res = runner.invoke(app, ["train", "--backend", "sagemaker", "--json", "--outputs", str(f)])
    assert res.exit_code == 0, res.output
    assert json.loads(res.stdout)["status"] == "InProgress"
    assert calls[0][0] == "submit" and calls[0][1].capacity == "spot"


def test_missing_backend_module_is_reported_cleanly(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def missing(name: str) -> Any:
        raise ImportError("No module named 'training.backends.vertex'")

    monkeypatch.setattr(train_cli, "get_backend", missing)
    f = tmp_path / "out.json"
    f.write_text("{}")
    res = runner.invoke(app, ["train", "--backend", "vertex", "--dry-run", "--outputs", str(f)])
    assert res.exit_code == 2
    assert "backend vertex is not available" in res.output and "Traceback" not in res.output


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--backend", "slurm"], "is not one of local, sagemaker"),
        (["--backend", "local", "--model", "resnet"], "--model: 'resnet' is not one of digits, lm"),
        (
            ["--backend", "sagemaker", "--dry-run", "--pool", "nope"],
            "--pool: 'nope' is not a node pool",
        ),
        (
            ["--backend", "sagemaker", "--dry-run", "--stack", "mars-dev"],
            "unknown stack 'mars-dev'",
        ),
        # One of two contradicting or meaningless options would otherwise be dropped silently.
        (["--backend", "sagemaker", "--spot", "--on-demand"], "--spot and --on-demand: give one"),
        (["--backend", "sagemaker", "--nproc", "4"], "--nproc: only for --backend local"),
        (["--backend", "vertex", "--output-dir", "x"], "--output-dir: only for --backend local"),
        (["--backend", "local", "--nodes", "2"], "--nodes: only for the managed backends"),
        (["--backend", "local", "--on-demand"], "--on-demand: only for the managed backends"),
        (["--backend", "local", "--stack", "aws-dev"], "--stack: only for the managed backends"),
        (
            ["--backend", "vertex", "--dry-run", "--pool", "train-tpu"],
            "accelerator: TPU-v5e — TPU training is not supported",
        ),
    ],
)
def test_bad_options_name_the_field(argv: list[str], message: str) -> None:
    res = runner.invoke(app, ["train", *argv])
    assert res.exit_code == 2
    assert message in " ".join(res.output.split())


def test_real_sagemaker_dry_run_offline(no_pulumi: None) -> None:
    """The shipped SageMaker backend, fed the offline plan's outputs, carries our entry args."""
    res = runner.invoke(
        app, ["train", "--backend", "sagemaker", "--dry-run", "--json", "--max-steps", "77"]
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert "77" in json.dumps(doc)


def test_dry_run_without_an_offline_plan_says_what_to_do(no_pulumi: None) -> None:
    """training/ does not import stacks/: the offline plan comes in as a callable, or not at all."""
    with pytest.raises(OutputsError, match="--dry-run works offline"):
        load_stack_outputs("aws-dev", None, dry_run=True)


def test_local_dry_run_prints_the_launch_and_starts_nothing(tmp_path: Path) -> None:
    out = tmp_path / "run"
    res = runner.invoke(
        app,
        ["train", "--backend", "local", "--dry-run", "--json", "--output-dir", str(out)],
    )
    assert res.exit_code == 0, res.output
    doc = json.loads(res.stdout)
    assert doc["dry_run"] is True
    assert doc["command"][1:5] == [
        "-m",
        "torch.distributed.run",
        "--standalone",
        "--nproc-per-node=2",
    ]
    assert doc["command"][-2:] == ["--output-dir", str(out)]
    assert not out.exists()  # no checkpoints, no MLflow store, no registered model


# ---- every training argument is checked before torchrun starts (#19.8) ------------------------


@pytest.fixture
def no_torchrun(monkeypatch: pytest.MonkeyPatch) -> None:
    """Starting torchrun fails the test: each refusal below must come before it."""

    def started(*args: Any, **kwargs: Any) -> None:
        raise AssertionError(f"torchrun was started: {args[0]}")

    monkeypatch.setattr("training.backends.local.subprocess.Popen", started)


def _refused(res: Any, message: str) -> None:
    assert res.exit_code == 2, res.output
    assert res.exception is None or isinstance(res.exception, SystemExit), res.exception
    assert message in " ".join(res.output.split()), res.output


@pytest.mark.parametrize(
    "argv, message",
    [
        (["--lr", "-1"], "--lr must be > 0 (got -1.0)"),
        (["--max-steps", "-1"], "--max-steps must be >= 0 (got -1)"),
        (["--batch-size", "0"], "--batch-size must be >= 1 (got 0)"),
        (["--nproc", "0"], "--nproc must be >= 1 (got 0)"),
        # After `--`, the entry point's own flags, by the same rules.
        (["--", "--ckpt-every", "0", "--lr=0"], "--ckpt-every must be >= 1 (got 0); --lr must"),
        (
            ["--", "--model", "lm", "--d-model", "10", "--n-heads", "3"],
            "--d-model 10 must be divisible by --n-heads 3",
        ),
        (["--", "--bogus"], "unrecognized arguments: --bogus"),
    ],
)
def test_bad_training_arguments_stop_before_anything_starts(
    tmp_path: Path, no_torchrun: None, argv: list[str], message: str
) -> None:
    out = tmp_path / "run"
    res = runner.invoke(app, ["train", "--backend", "local", "--output-dir", str(out), *argv])
    _refused(res, message)
    assert not out.exists()


def test_a_managed_job_with_a_bad_argument_is_refused_before_the_request(no_pulumi: None) -> None:
    res = runner.invoke(app, ["train", "--backend", "sagemaker", "--dry-run", "--lr", "-1"])
    _refused(res, "--lr must be > 0 (got -1.0)")
    res = runner.invoke(app, ["train", "--backend", "sagemaker", "--dry-run", "--nodes", "0"])
    _refused(res, "--nodes must be >= 1 (got 0)")


def test_a_non_utf8_output_dir_is_refused_and_nothing_is_created(
    tmp_path: Path, no_torchrun: None
) -> None:
    out = Path(str(tmp_path) + "/caf\udcff")  # what Python makes of the byte 0xff in argv
    res = runner.invoke(app, ["train", "--backend", "local", "--output-dir", str(out)])
    _refused(res, "--output-dir: b'")
    assert "is not UTF-8" in res.output
    assert list(tmp_path.iterdir()) == []


@pytest.mark.skipif(not Path("/proc/self").is_dir(), reason="needs Linux /proc")
@pytest.mark.parametrize("flag", ["--output-dir", "--ckpt-dir"])
def test_an_unwritable_folder_is_refused_before_anything_starts(
    tmp_path: Path, no_torchrun: None, flag: str
) -> None:
    # /proc takes no new folders, not even from root (for whom access() always says yes).
    where = ["--output-dir", str(tmp_path / "run")] if flag == "--ckpt-dir" else []
    res = runner.invoke(app, ["train", "--backend", "local", *where, flag, "/proc/pioneer/run"])
    _refused(res, f"{flag}: folder /proc is not writable")
    assert not (tmp_path / "run").exists()


def test_an_output_dir_under_a_file_is_refused(tmp_path: Path, no_torchrun: None) -> None:
    (tmp_path / "notes").write_text("")
    res = runner.invoke(
        app, ["train", "--backend", "local", "--output-dir", str(tmp_path / "notes" / "run")]
    )
    _refused(res, f"--output-dir: {tmp_path / 'notes'} is a file, not a folder")
