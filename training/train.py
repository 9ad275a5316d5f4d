"""The shared training entry point: same script on a laptop, under torchrun, and on every backend.

    python -m training.train --model digits
    torchrun --standalone --nproc-per-node 2 training/train.py --model digits
    python training/train.py --model lm --max-steps 50

Every start resumes from the newest complete checkpoint in `--ckpt-dir`.
Rank 0 prints `PIONEER_PROGRESS {json}` lines on stdout (the local backend
draws its progress bar from them) and writes `<output-dir>/summary.json`.
"""

from __future__ import annotations

import argparse
import gc
import json
import logging
import math
import os
import random
import socket
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script path (torchrun training/train.py)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import numpy as np
import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader

from training import checkpoint, data, dirs, distributed, remote_checkpoints
from training.distributed import DistEnv
from training.energy_meter import EnergyMeter, country_code
from training.models import LMConfig, TinyLM, build_model, lm_loss
from training.signals import StopRequest
from training.tracking import Tracker
from training.weights import state_sha256

log = logging.getLogger("pioneer.train")

PROGRESS_PREFIX = "PIONEER_PROGRESS "
SUMMARY_FILE = "summary.json"

# Per-workload defaults; the digits budget reaches >= 95% test accuracy in a few seconds.
DEFAULTS: dict[str, dict[str, Any]] = {
    "digits": {"max_steps": 300, "batch_size": 32, "lr": 3e-3},
    "lm": {"max_steps": 200, "batch_size": 16, "lr": 3e-3},
}


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="training.train", description=__doc__.split("\n")[0])
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
        "each save); for storage that cannot rename, e.g. Mountpoint on EKS",
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
    args = p.parse_args(argv)
    for key, value in DEFAULTS[args.model].items():
        if getattr(args, key) is None:
            setattr(args, key, value)
    for key in ("batch_size", "ckpt_every", "keep", "log_every", "lm_samples"):
        if getattr(args, key) < 1:
            p.error(f"--{key.replace('_', '-')} must be >= 1")
    if args.max_steps < 0 or args.lr <= 0 or args.step_sleep < 0:
        p.error("--max-steps must be >= 0, --lr > 0, --step-sleep >= 0")
    if args.ckpt_sync is not None:
        try:
            remote_checkpoints.parse_uri(args.ckpt_sync)
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


def _setup_logging(env: DistEnv) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO if env.is_main else logging.WARNING,
        format=f"[rank {env.rank}] %(levelname)s %(name)s: %(message)s",
        force=True,
    )


def _rng_state(device: torch.device) -> dict[str, Any]:
    return {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
        "cuda": torch.cuda.get_rng_state_all() if device.type == "cuda" else None,
    }


def _set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if state.get("cuda") is not None and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(state["cuda"])


def _seed(seed: int) -> None:
    random.seed(seed)
    np.random.seed(seed % 2**32)
    torch.manual_seed(seed)


def _lr_schedule(warmup: int, total: int) -> Any:
    """Linear warm-up, then cosine decay to 10% of the peak at `total` steps."""

    def factor(step: int) -> float:
        if step < warmup:
            return (step + 1) / warmup
        progress = min(1.0, (step - warmup) / max(1, total - warmup))
        return 0.1 + 0.9 * 0.5 * (1 + math.cos(math.pi * progress))

    return factor


def _write_rank_file(args: argparse.Namespace, env: DistEnv, device: torch.device) -> None:
    """Which process ran where: checked by the backend-environment tests, handy when debugging."""
    path = args.output_dir / "ranks" / f"rank-{env.rank}.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        json.dumps(
            {
                "rank": env.rank,
                "local_rank": env.local_rank,
                "world_size": env.world_size,
                "master_addr": env.master_addr,
                "master_port": env.master_port,
                "host": socket.gethostname(),
                "pid": os.getpid(),
                "device": str(device),
            }
        )
    )


def _progress(**fields: Any) -> None:
    print(PROGRESS_PREFIX + json.dumps(fields), flush=True)


def _datasets(args: argparse.Namespace) -> data.Splits:
    if args.model == "digits":
        return data.digits()
    return data.lm(args.lm_samples, args.seq_len, args.vocab_size, args.seed)


def _lm_config(args: argparse.Namespace) -> LMConfig:
    return LMConfig(
        vocab_size=args.vocab_size,
        seq_len=args.seq_len,
        d_model=args.d_model,
        n_layers=args.n_layers,
        n_heads=args.n_heads,
    )


@torch.no_grad()
def _accuracy(model: nn.Module, test: Any, device: torch.device) -> float:
    model.eval()
    x, y = test.tensors
    pred = model(x.to(device)).argmax(dim=1).cpu()
    model.train()
    return float((pred == y).float().mean())


def _find_resume_point(args: argparse.Namespace, env: DistEnv) -> checkpoint.Checkpoint | None:
    # Rank 0 chooses (and verifies), every rank loads that one: no rank may pick another step,
    # and hashing a large file once is enough.
    ckpt = checkpoint.latest(args.ckpt_dir) if env.is_main else None
    chosen = distributed.broadcast_object(ckpt, env)
    return chosen if isinstance(chosen, checkpoint.Checkpoint) else None


def run(args: argparse.Namespace, env: DistEnv, device: torch.device) -> dict[str, Any]:
    stop = StopRequest().install()  # early: a notice during set-up stops after the first step
    args.output_dir.mkdir(parents=True, exist_ok=True)
    _write_rank_file(args, env, device)
    _seed(args.seed)  # same initial weights on every rank
    lm_cfg = _lm_config(args) if args.model == "lm" else None
    model = build_model(args.model, arch=args.arch, lm=lm_cfg).to(device)
    splits = _datasets(args)
    sampler = data.ResumableSampler(
        splits.train, num_replicas=env.world_size, rank=env.rank, seed=args.seed
    )
    loader = DataLoader(splits.train, batch_size=args.batch_size, sampler=sampler, drop_last=True)
    steps_per_epoch = sampler.num_samples // args.batch_size
    if steps_per_epoch < 1:
        raise SystemExit(
            f"--batch-size {args.batch_size} is larger than this rank's "
            f"{sampler.num_samples} training samples"
        )
    if args.epochs is not None:
        args.max_steps = math.ceil(args.epochs * steps_per_epoch)
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=args.weight_decay)
    sched = torch.optim.lr_scheduler.LambdaLR(opt, _lr_schedule(args.warmup_steps, args.max_steps))
    _seed(args.seed + 1000 * (env.rank + 1))  # per-rank streams (dropout, augmentation)

    step, epoch, position, last_loss, resumed_from, run_id = 0, 0, 0, None, None, None
    earlier_energy: dict[str, float] | None = None  # kWh and kg of earlier segments of this job
    remote = None
    if args.ckpt_sync:
        # One download per machine (each node resumes from its own local --ckpt-dir), before
        # rank 0 chooses the newest local checkpoint; rank 0 alone uploads.
        if env.is_local_main:
            remote = remote_checkpoints.RemoteCheckpoints(args.ckpt_sync, args.ckpt_dir, args.keep)
            remote.pull()
        distributed.barrier(env)
    ckpt = _find_resume_point(args, env)
    if ckpt is not None:
        # On the CPU: RNG states must stay CPU tensors; load_state_dict moves weights to the device.
        state = checkpoint.load(ckpt, map_location="cpu")
        model.load_state_dict(state["model"])
        opt.load_state_dict(state["optimizer"])
        sched.load_state_dict(state["scheduler"])
        step, epoch, position = state["step"], state["epoch"], state["position"]
        last_loss, run_id = state.get("last_loss"), state.get("mlflow_run_id")
        earlier_energy = state.get("energy_total")
        rngs = state["rng"]
        if len(rngs) == env.world_size:
            _set_rng_state(rngs[env.rank])
        else:
            log.warning(
                "checkpoint was written by %d processes, this job has %d: RNG streams "
                "restart (the run continues, but not bit-identically)",
                len(rngs),
                env.world_size,
            )
        resumed_from = step
        log.info("resumed from step %d (%s)", step, ckpt.data)
    else:
        log.info("no checkpoint in %s: starting at step 0", args.ckpt_dir)

    net: nn.Module = model
    if env.distributed:
        net = DDP(model, device_ids=[device.index] if device.type == "cuda" else None)

    tracker = Tracker(
        env.is_main and args.tracking == "mlflow",
        args.output_dir,
        args.experiment,
        args.tracking_uri,
    )
    params = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    run_id = tracker.start(run_id, {**params, "world_size": env.world_size, "device": str(device)})
    meter = EnergyMeter(args.country, enabled=args.energy and env.is_local_main)
    meter.start()

    if env.is_main:
        _progress(
            event="start",
            step=step,
            max_steps=args.max_steps,
            resumed_from=resumed_from,
            world_size=env.world_size,
        )

    def energy_total() -> dict[str, float] | None:
        """The job's energy so far (earlier segments + this one), summed over machines."""
        now = meter.so_far()
        n, kwh, kg = distributed.sum_vector_over_ranks(
            [1.0, *now] if now else [0.0, 0.0, 0.0], env, device
        )
        if not n:
            return None
        before = earlier_energy or {"kwh": 0.0, "kg": 0.0}
        return {"kwh": before["kwh"] + kwh, "kg": before["kg"] + kg}

    def save(at: int) -> None:
        rngs = distributed.gather_objects(_rng_state(device), env)
        total = energy_total() if args.energy else None
        if env.is_main:
            saved = checkpoint.save(
                args.ckpt_dir,
                at,
                {
                    "model": model.state_dict(),
                    "optimizer": opt.state_dict(),
                    "scheduler": sched.state_dict(),
                    "step": at,
                    "epoch": epoch,
                    "position": position,
                    "rng": rngs,
                    "last_loss": last_loss,
                    "mlflow_run_id": run_id,
                    "world_size": env.world_size,
                    "energy_total": total,
                    "args": params,
                },
                keep=args.keep,
            )
            log.info("checkpoint at step %d -> %s", at, args.ckpt_dir)
            if remote is not None:
                remote.push(saved)  # complete before returning: the SIGTERM save relies on it

    interrupted = False
    samples = 0
    start_step = step
    t0 = time.perf_counter()
    while step < args.max_steps and not interrupted:
        sampler.start_epoch(epoch, position)
        for batch in loader:
            x, y = (t.to(device, non_blocking=True) for t in batch)
            with distributed.autocast(device):
                out = net(x)
                loss = (
                    lm_loss(out, y) if args.model == "lm" else nn.functional.cross_entropy(out, y)
                )
            opt.zero_grad(set_to_none=True)
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            opt.step()
            sched.step()
            step += 1
            position += args.batch_size
            samples += args.batch_size * env.world_size
            if step % args.log_every == 0 or step == args.max_steps:
                last_loss = distributed.sum_over_ranks(loss.item(), env, device) / env.world_size
                tracker.metrics({"loss": last_loss, "lr": float(sched.get_last_lr()[0])}, step)
                if env.is_main:
                    _progress(step=step, max_steps=args.max_steps, loss=round(last_loss, 5))
            if args.step_sleep:
                time.sleep(args.step_sleep)
            interrupted = distributed.all_ranks_agree(stop.requested, env, device)
            if interrupted or step % args.ckpt_every == 0 or step == args.max_steps:
                save(step)
            if interrupted or step >= args.max_steps:
                break
        else:
            epoch, position = epoch + 1, 0
    if device.type == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - t0
    if step == start_step and resumed_from is None:
        save(step)  # --max-steps 0: still leave a checkpoint to resume from

    reading = meter.stop()
    measured, energy, emissions = distributed.sum_vector_over_ranks(
        [1.0, reading.energy_kwh, reading.emissions_kg] if reading else [0.0, 0.0, 0.0], env, device
    )
    details = distributed.gather_objects(reading.detail if reading else None, env)
    before = earlier_energy or {"kwh": 0.0, "kg": 0.0}

    summary: dict[str, Any] = {
        "status": "interrupted" if interrupted else "completed",
        "model": args.model,
        "final_step": step,
        "max_steps": args.max_steps,
        "resumed_from_step": resumed_from,
        "world_size": env.world_size,
        "device": str(device),
        "test_accuracy": None,
        "final_loss": last_loss,
        "weights_sha256": state_sha256(model.state_dict()),
        "samples_per_second": samples / elapsed if samples and elapsed > 0 else None,
        "steps_this_run": step - start_step,
        "seconds_training": elapsed,
        "energy_kwh": energy if measured else None,
        "emissions_kg": emissions if measured else None,
        "energy_kwh_total": before["kwh"] + energy if measured else None,
        "emissions_kg_total": before["kg"] + emissions if measured else None,
        "energy_measurements": [d for d in details if d],
        "mlflow_run_id": run_id,
        "mlflow_tracking_uri": tracker.tracking_uri if run_id else None,
        "registered_model": None,
        "checkpoint_dir": str(args.ckpt_dir.resolve()),
        "output_dir": str(args.output_dir.resolve()),
    }
    if args.model == "lm" and summary["samples_per_second"]:
        summary["tokens_per_second"] = summary["samples_per_second"] * args.seq_len
    if env.is_main:
        if args.model == "digits" and not interrupted:
            summary["test_accuracy"] = _accuracy(model, splits.test, device)
        if isinstance(model, TinyLM):
            summary["parameters"] = model.num_params()
        final = {
            k: summary[k]
            for k in (
                "test_accuracy",
                "final_loss",
                "samples_per_second",
                "energy_kwh",
                "emissions_kg",
                "energy_kwh_total",
                "emissions_kg_total",
            )
            if summary[k] is not None
        }
        tracker.metrics(final, step)
        if summary["energy_measurements"]:
            tracker.log_dict({"measurements": summary["energy_measurements"]}, "energy.json")
        if interrupted:
            tracker.end("KILLED")
        else:
            if (
                step > start_step or resumed_from is None
            ):  # a finished run restarted: no new version
                version = tracker.log_model(model, args.registered_model)
                if version is not None:
                    summary["registered_model"] = {
                        "name": args.registered_model,
                        "version": version,
                    }
            tracker.log_dict(summary, "summary.json")
            tracker.end()
        (args.output_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2))
        _progress(
            event="interrupted" if interrupted else "done", step=step, max_steps=args.max_steps
        )
        if interrupted:
            log.warning(
                "stopped by signal %s at step %d after checkpointing; start again to resume",
                stop.signal,
                step,
            )
    distributed.barrier(env)
    return summary


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        env = distributed.read_env()
    except distributed.DistEnvError as e:
        print(f"error: {e}", file=sys.stderr)
        return 2
    _setup_logging(env)
    device = distributed.pick_device(env)
    if device.type == "cpu":
        cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
        torch.set_num_threads(args.threads or max(1, (cpus or 1) // env.world_size))
    distributed.init(env, device)
    try:
        run(args, env, device)
    finally:
        gc.collect()  # drop DDP's references to the process group before destroying it
        distributed.shutdown(env)
    if env.distributed:
        # Gloo's worker threads can abort the interpreter's own teardown (SIGABRT after a run
        # that finished and wrote its summary); everything is flushed, so skip that teardown.
        logging.shutdown()
        sys.stdout.flush()
        sys.stderr.flush()
        os._exit(0)
    return 0


if __name__ == "__main__":
    sys.exit(main())
