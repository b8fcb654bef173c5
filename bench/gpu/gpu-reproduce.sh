#!/usr/bin/env bash
# Acceptance 1 of issue 5 on the GPU machine: every student × loss × seed of the reference table with
# `train-student --device cuda`, JOBS runs at a time on the one GPU, caches made by precompute-logits (carried in
# .gpu/cpu-caches), then bench/train/table.py against the reference. Usage: bench/gpu/gpu-reproduce.sh [JOBS]
set -uo pipefail
source bench/gpu/gpu-env.sh
jobs=${1:-8} out=/tmp/repro
mkdir -p $out
for seed in 0 1 2; do for s in mlp-20-20 mlp-256-256 cnn-small; do for l in ce kd dkd dist_t4; do
  echo "$s $l $seed"; done; done; done |
  xargs -P "$jobs" -L 1 sh -c 'dotnet /tmp/app/train-student.dll --recipe recipes/fmnist/$0.$1.json --seed $2 \
    --cache .gpu/cpu-caches/fmnist-train --test-cache .gpu/cpu-caches/fmnist-test --dataset '"$DATA"' --device cuda \
    --threads 1 --out '"$out"'/$0.$1.seed$2 > '"$out"'/$0.$1.seed$2.log 2>&1 || echo "FAILED $0 $1 $2: $(tail -1 '"$out"'/$0.$1.seed$2.log)"'
$PY bench/train/table.py $out bench/train/fmnist-students.reference.json | tee $OUT/reproduction-gpu.md
