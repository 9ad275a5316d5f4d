"""torchrun environment, per-backend default directories, and resumable data order."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch

from training import data, dirs
from training.distributed import DistEnvError, read_env
from training.energy_meter import country_code


def test_no_variables_means_one_plain_process() -> None:
    env = read_env({})
    assert (env.rank, env.local_rank, env.world_size, env.distributed) == (0, 0, 1, False)


def test_torchrun_variables_are_read() -> None:
    env = read_env(
        {
            "RANK": "3",
            "LOCAL_RANK": "1",
            "WORLD_SIZE": "4",
            "MASTER_ADDR": "10.0.0.2",
            "MASTER_PORT": "29500",
            "SM_HOSTS": "ignored",
        }
    )
    assert (env.rank, env.local_rank, env.world_size) == (3, 1, 4)
    assert (env.master_addr, env.master_port) == ("10.0.0.2", 29500)
    assert env.distributed and not env.is_main and not env.is_local_main


@pytest.mark.parametrize(
    "environ, message",
    [
        ({"WORLD_SIZE": "two"}, "WORLD_SIZE='two' is not an integer"),
        (
            {"WORLD_SIZE": "2", "RANK": "2", "MASTER_ADDR": "h", "MASTER_PORT": "1"},
            "RANK=2 must be < WORLD_SIZE=2",
        ),
        ({"WORLD_SIZE": "2", "RANK": "0"}, "needs MASTER_ADDR and MASTER_PORT"),
        ({"RANK": "-1"}, "RANK=-1 must be >= 0"),
    ],
)
def test_bad_environment_is_named(environ: dict[str, str], message: str) -> None:
    with pytest.raises(DistEnvError, match=message.replace("(", r"\(").replace(")", r"\)")):
        read_env(environ)


def test_default_directories_per_backend(tmp_path: Path) -> None:
    sm = {"SM_CURRENT_HOST": "algo-1", "SM_MODEL_DIR": "/opt/ml/model"}
    assert dirs.default_output_dir("digits", sm) == Path("/opt/ml/model")
    assert dirs.default_ckpt_dir(Path("/opt/ml/model"), sm) == Path("/opt/ml/checkpoints")
    vx = {
        "AIP_CHECKPOINT_DIR": "gs://bkt/jobs/1/checkpoints",
        "AIP_MODEL_DIR": "gs://bkt/jobs/1/model",
    }
    assert dirs.default_output_dir("lm", vx) == Path("/gcs/bkt/jobs/1/model")
    assert dirs.default_ckpt_dir(Path("/x"), vx) == Path("/gcs/bkt/jobs/1/checkpoints")
    assert dirs.default_output_dir("lm", {}) == Path("runs/lm")
    assert dirs.default_ckpt_dir(tmp_path, {}) == tmp_path / "checkpoints"
    with pytest.raises(ValueError, match="names no bucket"):
        dirs.gcs_fuse_path("gs://")


def test_country_code_validation(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PIONEER_COUNTRY", "fra")
    assert country_code(None) == "FRA"
    assert country_code("deu") == "DEU"
    with pytest.raises(ValueError, match="ISO-3166 alpha-3"):
        country_code("US")


def _drain(sampler: data.ResumableSampler, n: int | None = None) -> list[int]:
    out = []
    for i in sampler:
        out.append(i)
        if n is not None and len(out) == n:
            break
    return out


def test_sampler_resumes_mid_epoch_with_the_same_order() -> None:
    ds = data.TokenDataset(torch.zeros(103, 5, dtype=torch.long))
    full = data.ResumableSampler(ds, num_replicas=2, rank=1, seed=7)
    full.start_epoch(3)
    expected = _drain(full)
    assert len(expected) == 51  # 103 // 2 with drop_last
    resumed = data.ResumableSampler(ds, num_replicas=2, rank=1, seed=7)
    resumed.start_epoch(3, position=20)
    assert _drain(resumed) == expected[20:]
    other_rank = data.ResumableSampler(ds, num_replicas=2, rank=0, seed=7)
    other_rank.start_epoch(3)
    assert not set(_drain(other_rank)) & set(expected)
    with pytest.raises(ValueError, match="sampler position"):
        resumed.start_epoch(0, position=52)


def test_lm_tokens_are_deterministic_and_follow_the_chain() -> None:
    a = data.markov_tokens(8, 32, vocab=50, seed=1)
    assert torch.equal(a, data.markov_tokens(8, 32, vocab=50, seed=1))
    assert not torch.equal(a, data.markov_tokens(8, 32, vocab=50, seed=2))
    assert a.shape == (8, 33) and int(a.max()) < 50
    # Each token has at most 4 possible successors: far from uniform over 50.
    successors: dict[int, set[int]] = {}
    for row in data.markov_tokens(256, 32, vocab=50, seed=1).tolist():
        for x, y in zip(row, row[1:], strict=False):
            successors.setdefault(x, set()).add(y)
    assert max(len(s) for s in successors.values()) <= 4


def test_digits_split_is_fixed_and_stratified() -> None:
    s = data.digits()
    x_test, y_test = s.test.tensors
    assert len(s.train) + len(s.test) == 1797 and len(s.test) == 360
    assert float(x_test.max()) <= 1.0
    assert torch.equal(y_test, data.digits().test.tensors[1])
    assert torch.bincount(y_test).min() >= 35
