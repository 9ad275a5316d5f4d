"""Training throughput of the shared LM workload: CPU scaling, and GPU tokens/s and MFU.

    python benchmarks/train_throughput.py              # lm, 1 and 2 local processes (torchrun)
    python benchmarks/train_throughput.py --gpu        # + a GPU-filling model: tokens/s, MFU

CPU part: the real entry point under the local backend (DDP over gloo), the
same per-process batch (weak scaling); efficiency = rate(2) / (2 * rate(1)).
Each process gets the same number of threads, so the figure measures what
data parallelism costs here (all-reduce, contention), not thread counts.

GPU part: one process, bf16 autocast, the shared `TinyLM` sized by
--gpu-preset; warm-up steps are excluded, CUDA is synchronised around the
timed steps. MFU = tokens/s x training FLOPs per token / the GPU's peak dense
bf16 FLOP/s (from the table below, or --peak-tflops).
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

# Peak dense bf16 tensor-core FLOP/s (vendor data sheets, no sparsity).
PEAK_BF16_TFLOPS = {
    "H200": 989.0,
    "H100": 989.0,
    "A100": 312.0,
    "L40S": 362.0,
    "L4": 121.0,
    "A10G": 70.0,
    "V100": 125.0,
}

GPU_PRESETS = {
    # ~1.3B parameters: fills an 80-141 GB GPU with AdamW state and activations at batch 8.
    "1b": {
        "vocab_size": 32000,
        "seq_len": 2048,
        "d_model": 2048,
        "n_layers": 24,
        "n_heads": 16,
        "batch_size": 8,
    },
    "350m": {
        "vocab_size": 32000,
        "seq_len": 1024,
        "d_model": 1024,
        "n_layers": 24,
        "n_heads": 16,
        "batch_size": 16,
    },
    "tiny": {
        "vocab_size": 256,
        "seq_len": 64,
        "d_model": 64,
        "n_layers": 1,
        "n_heads": 4,
        "batch_size": 4,
    },  # smoke test of this script on a CPU
}


def cpu_scaling(steps: int, nprocs: list[int]) -> dict[str, object]:
    from training.backends.local import run_local

    args = [
        "--model",
        "lm",
        "--max-steps",
        str(steps),
        "--ckpt-every",
        str(steps),
        "--log-every",
        str(steps),
        "--tracking",
        "none",
        "--no-energy",
        "--threads",
        "1",
    ]
    rates: dict[int, float] = {}
    for n in nprocs:
        with tempfile.TemporaryDirectory() as out:
            s = run_local(n, args, Path(out))
        rates[n] = s["samples_per_second"]
        print(
            f"lm  nproc={n}  {rates[n]:9.1f} samples/s  {s['tokens_per_second']:11.0f} tokens/s",
            flush=True,
        )
    base = rates[nprocs[0]] / nprocs[0]
    eff = {n: rates[n] / (n * base) for n in nprocs}
    for n in nprocs[1:]:
        print(f"scaling efficiency {nprocs[0]} -> {n} processes: {eff[n]:.0%}")
    return {"samples_per_second": rates, "scaling_efficiency": eff}


def peak_flops(name: str, override: float | None) -> float | None:
    if override:
        return override * 1e12
    for key, tflops in PEAK_BF16_TFLOPS.items():
        if key in name:
            return tflops * 1e12
    return None


def gpu_throughput(
    preset: str, steps: int, warmup: int, peak_tflops: float | None, device_name: str
) -> dict[str, object]:
    import torch

    from training.distributed import autocast
    from training.models import LMConfig, TinyLM, lm_loss

    device = torch.device(device_name)
    p = dict(GPU_PRESETS[preset])
    batch = p.pop("batch_size")
    cfg = LMConfig(**p)
    torch.manual_seed(0)
    model = TinyLM(cfg).to(device)
    opt = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=device.type == "cuda")
    if device.type == "cuda":
        torch.backends.cuda.matmul.allow_tf32 = True
    # Random tokens generated on the device: throughput does not depend on the text.
    x = torch.randint(0, cfg.vocab_size, (batch, cfg.seq_len + 1), device=device)

    def step() -> None:
        with autocast(device):
            loss = lm_loss(model(x[:, :-1]), x[:, 1:])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()

    def sync() -> None:
        if device.type == "cuda":
            torch.cuda.synchronize()

    for _ in range(warmup):
        step()
    sync()
    t0 = time.perf_counter()
    for _ in range(steps):
        step()
    sync()
    elapsed = time.perf_counter() - t0
    tokens_s = steps * batch * cfg.seq_len / elapsed
    name = torch.cuda.get_device_name(device) if device.type == "cuda" else "cpu"
    peak = peak_flops(name, peak_tflops)
    mfu = tokens_s * model.flops_per_token() / peak if peak else None
    mem = torch.cuda.max_memory_allocated(device) / 2**30 if device.type == "cuda" else None
    print(
        f"{name}: {preset} model, {model.num_params() / 1e6:.0f}M parameters, batch {batch} x "
        f"{cfg.seq_len} tokens, bf16={device.type == 'cuda' and torch.cuda.is_bf16_supported()}"
    )
    print(
        f"  {tokens_s:,.0f} tokens/s  {elapsed / steps * 1000:.1f} ms/step"
        + (f"  MFU {mfu:.1%} of {peak / 1e12:.0f} TFLOP/s" if mfu is not None else "  MFU n/a")
        + (f"  peak memory {mem:.1f} GiB" if mem is not None else "")
    )
    return {
        "device": name,
        "preset": preset,
        "parameters": model.num_params(),
        "tokens_per_second": tokens_s,
        "mfu": mfu,
        "peak_memory_gib": mem,
    }


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=100, help="lm steps per CPU run")
    ap.add_argument("--nproc", type=int, nargs="+", default=[1, 2])
    ap.add_argument("--gpu", action="store_true", help="also measure a GPU-filling model")
    ap.add_argument("--no-cpu", action="store_true", help="skip the CPU scaling runs")
    ap.add_argument("--gpu-preset", choices=sorted(GPU_PRESETS), default="1b")
    ap.add_argument("--gpu-steps", type=int, default=20)
    ap.add_argument("--gpu-warmup", type=int, default=5)
    ap.add_argument("--peak-tflops", type=float, default=None, help="override the peak table")
    ap.add_argument("--device", default="cuda", help=argparse.SUPPRESS)  # cpu: smoke-test only
    ap.add_argument("--json", type=Path, default=None, help="also write the figures here")
    a = ap.parse_args()
    result: dict[str, object] = {}
    if not a.no_cpu:
        result["cpu"] = cpu_scaling(a.steps, a.nproc)
    if a.gpu:
        import torch

        if a.device == "cuda" and not torch.cuda.is_available():
            print("--gpu: no CUDA device here; skipped")
        else:
            result["gpu"] = gpu_throughput(
                a.gpu_preset, a.gpu_steps, a.gpu_warmup, a.peak_tflops, a.device
            )
    if a.json:
        a.json.write_text(json.dumps(result, indent=2, default=str))


if __name__ == "__main__":
    main()
