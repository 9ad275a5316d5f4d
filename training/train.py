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
import socket
import sys
import time
from pathlib import Path
from typing import Any

if __package__ in (None, ""):  # run as a script path (torchrun training/train.py)
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import torch
from torch import nn
from torch.nn.parallel import DistributedDataParallel as DDP
from torch.utils.data import DataLoader

from training import data, dirs, distributed, remote_checkpoints
from training.args import parse_args
from training.checkpoint_manager import CheckpointManager
from training.distributed import DistEnv
from training.energy_meter import EnergyMeter, JobEnergy
from training.models import LMConfig, TinyLM, build_model, lm_loss
from training.signals import StopRequest
from training.state import TrainState, seed_everything
from training.tracking import Tracker
from training.weights import state_sha256

log = logging.getLogger("pioneer.train")

PROGRESS_PREFIX = "PIONEER_PROGRESS "
SUMMARY_FILE = "summary.json"


def _setup_logging(env: DistEnv) -> None:
    logging.basicConfig(
        stream=sys.stderr,
        level=logging.INFO if env.is_main else logging.WARNING,
        format=f"[rank {env.rank}] %(levelname)s %(name)s: %(message)s",
        force=True,
    )


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


def _build_state(
    args: argparse.Namespace, env: DistEnv, device: torch.device, splits: data.Splits
) -> TrainState:
    seed_everything(args.seed)  # same initial weights on every rank
    lm_cfg = _lm_config(args) if args.model == "lm" else None
    model = build_model(args.model, arch=args.arch, lm=lm_cfg).to(device)
    sampler = data.ResumableSampler(
        splits.train, num_replicas=env.world_size, rank=env.rank, seed=args.seed
    )
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
    seed_everything(args.seed + 1000 * (env.rank + 1))  # per-rank streams (dropout, augmentation)
    return TrainState(model, opt, sched, sampler, env, device)


def _train_step(
    net: nn.Module, state: TrainState, batch: Any, args: argparse.Namespace
) -> torch.Tensor:
    x, y = (t.to(state.device, non_blocking=True) for t in batch)
    with distributed.autocast(state.device):
        out = net(x)
        loss = lm_loss(out, y) if args.model == "lm" else nn.functional.cross_entropy(out, y)
    state.optimizer.zero_grad(set_to_none=True)
    loss.backward()
    nn.utils.clip_grad_norm_(state.model.parameters(), 1.0)
    state.optimizer.step()
    state.scheduler.step()
    state.step += 1
    state.position += args.batch_size
    return loss


def run(args: argparse.Namespace, env: DistEnv, device: torch.device) -> dict[str, Any]:
    stop = StopRequest().install()  # early: a notice during set-up stops after the first step
    args.output_dir.mkdir(parents=True, exist_ok=True)
    _write_rank_file(args, env, device)
    splits = _datasets(args)
    state = _build_state(args, env, device, splits)
    loader = DataLoader(
        splits.train, batch_size=args.batch_size, sampler=state.sampler, drop_last=True
    )
    ckpts = CheckpointManager(
        args.ckpt_dir, keep=args.keep, every=args.ckpt_every, sync_uri=args.ckpt_sync, env=env
    )
    resumed_from = ckpts.restore(state)
    outputs = (
        remote_checkpoints.RemoteOutputs(args.ckpt_sync, args.output_dir)
        if args.ckpt_sync and env.is_main
        else None
    )
    if outputs is not None:
        outputs.pull()  # before tracking opens the MLflow store: a restarted run continues it
    net: nn.Module = state.model
    if env.distributed:
        net = DDP(state.model, device_ids=[device.index] if device.type == "cuda" else None)

    tracker = Tracker(
        env.is_main and args.tracking == "mlflow",
        dirs.tracking_dir(args.output_dir, args.ckpt_dir),
        args.experiment,
        args.tracking_uri,
    )
    params = {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()}
    state.mlflow_run_id = tracker.start(
        state.mlflow_run_id, {**params, "world_size": env.world_size, "device": str(device)}
    )
    energy = JobEnergy(
        EnergyMeter(args.country, enabled=args.energy and env.is_local_main),
        state.energy_total,
        env,
        device,
    )
    energy.meter.start()

    def save(final: dict[str, Any] | None = None) -> None:
        """A checkpoint; `final` is this segment's energy summary once its meter is stopped."""
        if not args.energy:
            state.energy_total = None
        elif final is None:
            state.energy_total = energy.total_so_far()
        elif final["energy_kwh_total"] is None:
            state.energy_total = None
        else:
            state.energy_total = {
                "kwh": final["energy_kwh_total"],
                "kg": final["emissions_kg_total"],
            }
        ckpts.save(state, {"args": params})

    # The last checkpoint of a segment (stopped by a signal, or done) records the job's total as
    # this segment's summary reports it: the meter is stopped first, so that a resumed job's
    # `energy_kwh_total` is exactly this segment's total plus its own, not short of whatever was
    # drawn between a running reading and the end of this segment.
    energy_summary: dict[str, Any] | None = None

    if env.is_main:
        _progress(
            event="start",
            step=state.step,
            max_steps=args.max_steps,
            resumed_from=resumed_from,
            world_size=env.world_size,
        )
    interrupted, samples, start_step = False, 0, state.step
    t0 = time.perf_counter()
    while state.step < args.max_steps and not interrupted:
        state.sampler.start_epoch(state.epoch, state.position)
        for batch in loader:
            loss = _train_step(net, state, batch, args)
            samples += args.batch_size * env.world_size
            last = state.step == args.max_steps
            if state.step % args.log_every == 0 or last:
                total = distributed.sum_over_ranks(loss.item(), env, device)
                state.last_loss = total / env.world_size
                lr = float(state.scheduler.get_last_lr()[0])
                tracker.metrics({"loss": state.last_loss, "lr": lr}, state.step)
                if env.is_main:
                    _progress(
                        step=state.step, max_steps=args.max_steps, loss=round(state.last_loss, 5)
                    )
            if args.step_sleep:
                time.sleep(args.step_sleep)
            interrupted = distributed.all_ranks_agree(stop.requested, env, device)
            if interrupted or last:
                energy_summary = energy.finish()
                save(final=energy_summary)
                break
            if ckpts.due(state.step, last):
                save()
        else:
            state.epoch, state.position = state.epoch + 1, 0
    if device.type == "cuda":
        torch.cuda.synchronize()
    elapsed = time.perf_counter() - t0
    if state.step == start_step and resumed_from is None:
        save()  # --max-steps 0: still leave a checkpoint to resume from

    summary = {
        **_summary(args, state, resumed_from, interrupted, state.step - start_step, elapsed),
        "samples_per_second": samples / elapsed if samples and elapsed > 0 else None,
        **(energy_summary if energy_summary is not None else energy.finish()),
        "mlflow_run_id": state.mlflow_run_id,
        "mlflow_tracking_uri": tracker.tracking_uri if state.mlflow_run_id else None,
    }
    if args.model == "lm" and summary["samples_per_second"]:
        summary["tokens_per_second"] = summary["samples_per_second"] * args.seq_len
    if env.is_main:
        _finish_on_rank0(args, state, tracker, summary, splits)
        if outputs is not None:
            outputs.push(skip=args.ckpt_dir)
        if interrupted:
            log.warning(
                "stopped by signal %s at step %d after checkpointing; start again to resume",
                stop.signal,
                state.step,
            )
    distributed.barrier(env)
    return summary


def _summary(
    args: argparse.Namespace,
    state: TrainState,
    resumed_from: int | None,
    interrupted: bool,
    steps: int,
    elapsed: float,
) -> dict[str, Any]:
    return {
        "status": "interrupted" if interrupted else "completed",
        "model": args.model,
        "final_step": state.step,
        "max_steps": args.max_steps,
        "resumed_from_step": resumed_from,
        "world_size": state.env.world_size,
        "device": str(state.device),
        "test_accuracy": None,
        "final_loss": state.last_loss,
        "weights_sha256": state_sha256(state.model.state_dict()),
        "steps_this_run": steps,
        "seconds_training": elapsed,
        "registered_model": None,
        "checkpoint_dir": str(args.ckpt_dir.resolve()),
        "output_dir": str(args.output_dir.resolve()),
    }


FINAL_METRICS = (
    "test_accuracy",
    "final_loss",
    "samples_per_second",
    "energy_kwh",
    "emissions_kg",
    "energy_kwh_total",
    "emissions_kg_total",
)


def _finish_on_rank0(
    args: argparse.Namespace,
    state: TrainState,
    tracker: Tracker,
    summary: dict[str, Any],
    splits: data.Splits,
) -> None:
    """Accuracy, final metrics, model registration, summary.json and the last progress line."""
    interrupted = summary["status"] == "interrupted"
    if args.model == "digits" and not interrupted:
        summary["test_accuracy"] = _accuracy(state.model, splits.test, state.device)
    if isinstance(state.model, TinyLM):
        summary["parameters"] = state.model.num_params()
    tracker.metrics({k: summary[k] for k in FINAL_METRICS if summary[k] is not None}, state.step)
    if summary["energy_measurements"]:
        tracker.log_dict({"measurements": summary["energy_measurements"]}, "energy.json")
    if interrupted:
        tracker.end("KILLED")
    else:
        # A finished run restarted trains nothing more: no new version.
        if summary["steps_this_run"] or summary["resumed_from_step"] is None:
            version = tracker.log_model(state.model, args.registered_model)
            if version is not None:
                summary["registered_model"] = {"name": args.registered_model, "version": version}
        tracker.log_dict(summary, "summary.json")
        tracker.end()
    (args.output_dir / SUMMARY_FILE).write_text(json.dumps(summary, indent=2))
    _progress(
        event="interrupted" if interrupted else "done", step=state.step, max_steps=args.max_steps
    )


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
