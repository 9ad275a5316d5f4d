#!/usr/bin/env bash
# GPU checks of the shared training code, for a machine with one NVIDIA GPU
# (run from the repository root; $OUT collects the figures). Uses the machine's
# own python3 + torch; codecarbon and its missing dependencies come as wheels in
# .gpu_wheels/ (pip download them for the machine's Python first).
set -u
export PYTHONUNBUFFERED=1 OMP_NUM_THREADS=8 OUT=${OUT:-/tmp/gpu-out}
mkdir -p "$OUT" /tmp/pyextra
if ls .gpu_wheels/*.whl >/dev/null 2>&1; then
  python3 -m pip install -q --no-deps --no-index --target /tmp/pyextra .gpu_wheels/*.whl
fi
export PYTHONPATH=$PWD:/tmp/pyextra
nvidia-smi --query-gpu=name,memory.total,driver_version,power.limit --format=csv | tee "$OUT/gpu.txt"
python3 -c "import torch; print('torch', torch.__version__, 'cuda', torch.cuda.is_available(), torch.cuda.get_device_name(0), 'bf16', torch.cuda.is_bf16_supported())" | tee -a "$OUT/gpu.txt"

echo "== 1. digits on the GPU through torchrun (NCCL, bf16), energy from NVML"
python3 -m torch.distributed.run --standalone --nproc_per_node=1 training/train.py \
  --model digits --output-dir /tmp/digits --tracking none > "$OUT/digits.log" 2>&1
echo "exit $?"; cp /tmp/digits/summary.json "$OUT/digits_summary.json" 2>/dev/null
python3 -c "import json; s=json.load(open('/tmp/digits/summary.json')); print({k: s.get(k) for k in ('device','world_size','final_step','test_accuracy','samples_per_second','energy_kwh','emissions_kg','energy_kwh_total')})"

echo "== 2. SIGTERM mid-run and resume on the GPU vs an uninterrupted run (lm)"
LM="--model lm --max-steps 120 --ckpt-every 20 --tracking none --no-energy --d-model 256 --n-layers 4 --n-heads 4 --seq-len 256"
python3 training/train.py $LM --output-dir /tmp/full > "$OUT/lm_full.log" 2>&1
timeout -s TERM 12 python3 training/train.py $LM --output-dir /tmp/cut --step-sleep 0.2 > "$OUT/lm_cut1.log" 2>&1
echo "interrupted run exit $?"
python3 training/train.py $LM --output-dir /tmp/cut > "$OUT/lm_cut2.log" 2>&1
python3 -c "
import json; a=json.load(open('/tmp/full/summary.json')); b=json.load(open('/tmp/cut/summary.json'))
print('full', a['weights_sha256'][:16], 'resumed', b['weights_sha256'][:16], 'from step', b['resumed_from_step'], 'equal', a['weights_sha256']==b['weights_sha256'], 'loss', a['final_loss'], b['final_loss'])"

echo "== 3. tokens/s and MFU for a GPU-filling model"
timeout 300 python3 benchmarks/train_throughput.py --gpu --no-cpu --gpu-preset 1b --json "$OUT/throughput.json" 2>&1 | tail -25
