#!/usr/bin/env bash
# One GPU check, under 5 minutes: the CUDA tests on the real device (no simulator), then the
# benchmark table on the GPU with PyTorch (cuDNN) as the peer. Output goes to $OUT (or ./gpu_check)
# as gpu_check.log. Run from the repository root on a machine with an NVIDIA GPU:
#     bash benchmarks/gpu_check.sh
set -uo pipefail
out="${OUT:-gpu_check}"
mkdir -p "$out"
log="$out/gpu_check.log"
export PYTHONUNBUFFERED=1 PYTHONPATH="$PWD:${PYTHONPATH:-}"
unset NUMBA_ENABLE_CUDASIM
{
  echo "== device"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv
  python3 -c "import numba, numba_cuda; from numba import cuda; print('numba', numba.__version__, 'numba-cuda', numba_cuda.__version__, 'available', cuda.is_available())"
  echo "== CUDA tests on the device"
  timeout 200 python3 -m pytest -q -x -m cuda -p no:cacheprovider tests plugins
  echo "tests exit: $?"
  echo "== benchmark (GPU)"
  timeout 120 python3 benchmarks/bench_gpu.py --repeats 20 ${CPU_STEP:+--cpu-step $CPU_STEP}
  echo "bench exit: $?"
} 2>&1 | tee "$log"
