"""The training entry point's arguments: one parser, checked once, before anything starts.

`parse_args` is what `training.train` runs (bad input: argparse's usage and exit 2).
`check` is the same parse for the edges that start or submit a run (`pioneer train`,
pipeline specs): it raises `TrainArgsError` naming every bad flag and what is allowed,
and imports no torch, so `--lr -1` is refused before torchrun or a cloud job starts.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NoReturn

from training import dirs
from training.energy_meter import country_code

# Per-workload defaults; the digits budget reaches >= 95% test accuracy in a few seconds.
DEFAULTS: dict[str, dict[str, Any]] = {
    "digits": {"max_steps": 300, "batch_size": 32, "lr": 3e-3},
    "lm": {"max_steps": 200, "batch_size": 16, "lr": 3e-3},
}
# The bounds of each numeric argument (None, when optional, is not checked).
AT_LEAST_ONE = (
    "batch_size",
    "ckpt_every",
    "keep",
    "log_every",
    "threads",
    "vocab_size",
    "seq_len",
    "d_model",
    "n_layers",
    "n_heads",
    "lm_samples",
)
AT_LEAST_ZERO = ("max_steps", "warmup_steps", "weight_decay", "step_sleep")
ABOVE_ZERO = ("lr", "epochs")


class TrainArgsError(ValueError):
    """Arguments the training code would refuse; the message names each flag."""


class _Parser(argparse.ArgumentParser):
    """argparse that raises TrainArgsError instead of printing usage and exiting, when asked."""

    def __init__(self, *args: Any, raise_errors: bool = False, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.raise_errors = raise_errors

    def error(self, message: str) -> NoReturn:
        if self.raise_errors:
            raise TrainArgsError(message)
        super().error(message)


def build_parser(raise_errors: bool = False) -> argparse.ArgumentParser:
    p = _Parser(
        prog="training.train",
        description="The shared training entry point.",
        raise_errors=raise_errors,
    )
    p.add_argument("--model", choices=("digits", "lm"), default="digits", help="workload (digits)")
    p.add_argument("--arch", choices=("mlp", "cnn"), default="mlp", help="digits model (mlp)")
    p.add_argument(
        "--max-steps", type=int, default=None, help="optimizer steps in total (digits 300, lm 200)"
    )
    p.add_argument(
        "--epochs",
        type=float,
        default=None,
        help="alternative to --max-steps: passes over the training set",
    )
    p.add_argument("--batch-size", type=int, default=None, help="per process (digits 32, lm 16)")
    p.add_argument("--lr", type=float, default=None, help="peak AdamW learning rate (3e-3)")
    p.add_argument("--weight-decay", type=float, default=0.01, help="AdamW (0.01)")
    p.add_argument("--warmup-steps", type=int, default=20, help="linear warm-up (20)")
    p.add_argument("--seed", type=int, default=0, help="(0)")
    p.add_argument(
        "--ckpt-dir",
        type=Path,
        default=None,
        help="default: /opt/ml/checkpoints on SageMaker, AIP_CHECKPOINT_DIR on Vertex, "
        "else <output-dir>/checkpoints",
    )
    p.add_argument(
        "--output-dir",
        type=Path,
        default=None,
        help="default: SM_MODEL_DIR, AIP_MODEL_DIR, else runs/<model>",
    )
    p.add_argument("--ckpt-every", type=int, default=50, help="steps between checkpoints (50)")
    p.add_argument("--keep", type=int, default=3, help="checkpoints kept (3)")
    p.add_argument(
        "--ckpt-sync",
        default=None,
        metavar="URI",
        help="s3://bucket/prefix: mirror --ckpt-dir there (pull newer at start, push "
        "each save) and --output-dir to <URI>/output/ (pull at start, push at the end, "
        "a SIGTERM stop included); for pods whose disk goes with them, e.g. on EKS",
    )
    p.add_argument("--log-every", type=int, default=10, help="steps between progress lines (10)")
    p.add_argument("--tracking", choices=("mlflow", "none"), default="mlflow", help="(mlflow)")
    p.add_argument(
        "--tracking-uri",
        default=None,
        help="default: MLFLOW_TRACKING_URI, else sqlite:///<output-dir>/mlflow.db",
    )
    p.add_argument("--experiment", default=None, help="MLflow experiment (pioneer-<model>)")
    p.add_argument("--registered-model", default=None, help="registry name (pioneer-<model>)")
    p.add_argument(
        "--energy",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="measure energy and emissions with codecarbon (on)",
    )
    p.add_argument(
        "--country",
        default=None,
        help="ISO alpha-3 grid for emissions (PIONEER_COUNTRY, default USA)",
    )
    p.add_argument(
        "--threads", type=int, default=None, help="CPU threads per process (CPUs / world size)"
    )
    p.add_argument(
        "--step-sleep",
        type=float,
        default=0.0,
        help="seconds to pause after each step, for interruption drills and demos (0)",
    )
    lm = p.add_argument_group("lm workload")
    lm.add_argument("--vocab-size", type=int, default=256)
    lm.add_argument("--seq-len", type=int, default=64)
    lm.add_argument("--d-model", type=int, default=128)
    lm.add_argument("--n-layers", type=int, default=2)
    lm.add_argument("--n-heads", type=int, default=4)
    lm.add_argument("--lm-samples", type=int, default=4096, help="sequences generated")
    return p


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The entry point's parse: on bad input argparse prints usage and exits with 2."""
    return _parse(build_parser(), argv)


def check(argv: Sequence[str]) -> argparse.Namespace:
    """The same parse for an edge: raises TrainArgsError; starts, creates and imports nothing."""
    return _parse(build_parser(raise_errors=True), list(argv))


def _parse(p: argparse.ArgumentParser, argv: Sequence[str] | None) -> argparse.Namespace:
    argv = list(argv) if argv is not None else None
    if problems := _undecodable(argv or []):
        p.error("; ".join(problems))
    args = p.parse_args(argv)
    for key, value in DEFAULTS[args.model].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    if problems := _out_of_bounds(args):
        p.error("; ".join(problems))
    if args.ckpt_sync is not None:
        from training.remote_checkpoints import parse_uri  # imports torch: only when asked

        try:
            parse_uri(args.ckpt_sync)
        except ValueError as e:
            p.error(f"--ckpt-sync {e}")
    try:
        args.country = country_code(args.country)
    except ValueError as e:
        p.error(str(e))
    args.output_dir = args.output_dir or dirs.default_output_dir(args.model)
    args.ckpt_dir = args.ckpt_dir or dirs.default_ckpt_dir(args.output_dir)
    args.experiment = args.experiment or f"pioneer-{args.model}"
    args.registered_model = args.registered_model or f"pioneer-{args.model}"
    return args


def _flag(key: str) -> str:
    return "--" + key.replace("_", "-")


def _out_of_bounds(args: argparse.Namespace) -> list[str]:
    problems = []
    for keys, bound, ok in (
        (AT_LEAST_ONE, ">= 1", lambda v: v >= 1),
        (AT_LEAST_ZERO, ">= 0", lambda v: v >= 0),
        (ABOVE_ZERO, "> 0", lambda v: v > 0),
    ):
        for key in keys:
            value = getattr(args, key)
            if value is not None and not ok(value):
                problems.append(f"{_flag(key)} must be {bound} (got {value})")
    if args.model == "lm" and args.n_heads >= 1 and args.d_model % args.n_heads:
        problems.append(f"--d-model {args.d_model} must be divisible by --n-heads {args.n_heads}")
    return problems


def _undecodable(argv: list[str]) -> list[str]:
    """Arguments that are not UTF-8 (bytes the shell passed through): paths, MLflow, logs and
    JSON all need text, so they are refused here instead of failing half-way."""
    problems = []
    for i, arg in enumerate(argv):
        try:
            arg.encode("utf-8")
        except UnicodeEncodeError:
            name, _, value = arg.partition("=") if arg.startswith("--") else ("", "", arg)
            if not name:
                prev = argv[i - 1] if i else ""
                name = prev if prev.startswith("--") else f"argument {i + 1}"
            problems.append(f"{name}: {os.fsencode(value)!r} is not UTF-8; use a UTF-8 name")
    return problems
