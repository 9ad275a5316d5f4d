"""Where checkpoints and outputs go on each backend (the checkpoint-directory contract).

- SageMaker: `/opt/ml/checkpoints`, which the service syncs to the job's
  `CheckpointConfig.S3Uri` and restores on a spot restart; outputs in
  `SM_MODEL_DIR` (uploaded as model.tar.gz).
- Vertex AI: `AIP_CHECKPOINT_DIR` (a `gs://` URI) read through Cloud Storage
  FUSE at `/gcs/<bucket>/<path>`; outputs in `AIP_MODEL_DIR` the same way.
- Azure ML: no variable; the job passes an output folder on the command line
  (`--ckpt-dir ${{outputs.checkpoints}}`), mounted read-write from blob storage.
- Local: any directory; by default `<output-dir>/checkpoints`.

The local MLflow store (no tracking URI given) lives in the output directory,
except on SageMaker: a spot restart gets a fresh `/opt/ml/model` but the
checkpoints back, so the store goes with them and the resumed job continues its run.

`--ckpt-dir` / `--output-dir` on the command line always win.
"""

from __future__ import annotations

import os
from collections.abc import Mapping
from pathlib import Path

SAGEMAKER_CHECKPOINTS = Path("/opt/ml/checkpoints")
GCS_FUSE_ROOT = Path("/gcs")


def gcs_fuse_path(uri: str) -> Path:
    """`gs://bucket/a/b` -> `/gcs/bucket/a/b` (Vertex mounts every bucket there)."""
    if not uri.startswith("gs://"):
        return Path(uri)
    rest = uri[len("gs://") :].strip("/")
    if not rest:
        raise ValueError(f"{uri!r} names no bucket")
    return GCS_FUSE_ROOT / rest


def on_sagemaker(env: Mapping[str, str]) -> bool:
    return "SM_CURRENT_HOST" in env or "SM_MODEL_DIR" in env


def default_output_dir(model: str, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if env.get("SM_MODEL_DIR"):
        return Path(env["SM_MODEL_DIR"])
    if env.get("AIP_MODEL_DIR"):
        return gcs_fuse_path(env["AIP_MODEL_DIR"])
    return Path("runs") / model


def default_ckpt_dir(output_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    env = os.environ if env is None else env
    if on_sagemaker(env):
        return SAGEMAKER_CHECKPOINTS
    if env.get("AIP_CHECKPOINT_DIR"):
        return gcs_fuse_path(env["AIP_CHECKPOINT_DIR"])
    return output_dir / "checkpoints"


def tracking_dir(output_dir: Path, ckpt_dir: Path, env: Mapping[str, str] | None = None) -> Path:
    """Where a local MLflow store (`mlflow.db`, `mlartifacts/`) lives: where a restart finds it."""
    env = os.environ if env is None else env
    return ckpt_dir / "mlflow" if on_sagemaker(env) else output_dir
