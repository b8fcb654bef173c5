#!/usr/bin/env bash
# Issue 8, student side, on the GPU machine after gpu-teacher.sh (uses its CUDA caches in /tmp/caches):
# train-student --device cuda vs the same training in PyTorch on the same GPU, 20 epochs, reference recipes.
# Usage: bench/gpu/gpu-student.sh "mlp-20-20 cnn-small" "kd dkd" [EPOCHS]
set -uo pipefail
source bench/gpu/gpu-env.sh
students=${1:-"mlp-20-20 cnn-small"} losses=${2:-"kd dkd"} epochs=${3:-20}
log=$OUT/student.txt
# Caches made on this machine by gpu-teacher.sh when it ran, else the ones made here on the CPU.
train=/tmp/caches/cuda-train test=/tmp/caches/cuda-test
[ -d $train ] || { train=.gpu/cpu-caches/fmnist-train test=.gpu/cpu-caches/fmnist-test; }
{
  nvidia-smi -L
  for s in $students; do for l in $losses; do
    echo "== train-student --device cuda: $s $l"
    rm -rf /tmp/runs/$s-$l
    $TRAIN --recipe recipes/fmnist/$s.$l.json --cache $train --test-cache $test \
      --dataset $DATA --device cuda --epochs $epochs --out /tmp/runs/$s-$l > /tmp/runs-$s-$l.log 2>&1
    echo "exit $?"; tail -4 /tmp/runs-$s-$l.log
    echo "metrics:"; cat /tmp/runs/$s-$l/metrics.jsonl
    echo "summary:"; cat /tmp/runs/$s-$l/summary.json; echo
    echo "== PyTorch on the same GPU: $s $l"
    $PY bench/gpu/torch_student.py .gpu/teacher-torch.pt /tmp/data $s $l $epochs 1
  done; done
} >> "$log" 2>&1
tail -c 6000 "$log"
