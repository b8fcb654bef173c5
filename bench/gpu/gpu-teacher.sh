#!/usr/bin/env bash
# Issue 8, teacher side, on the GPU machine after the ORT, .NET and data transfers (bench/gpu/README.md):
# CUDA caches of Fashion-MNIST train/test vs the CPU caches, tool vs bare ONNX Runtime loop, vs PyTorch on the same GPU.
set -uo pipefail
source bench/gpu/gpu-env.sh
log=$OUT/teacher.txt
{
  nvidia-smi -L
  for split in train test; do
    echo "== precompute-logits --device cuda, $split"
    $PRE --teacher $TEACHER --dataset $DATA --split $split --out /tmp/caches/cuda-$split --device cuda --overwrite
    echo "== compare with the CPU cache made on the development machine"
    $PRE compare .gpu/cpu-caches/fmnist-$split /tmp/caches/cuda-$split --tolerance 1e-4
  done
  $PRE inspect /tmp/caches/cuda-test | tail -2
  for b in 256 1024; do
    echo "== bench: tool vs bare ONNX Runtime Run loop, CUDA, train split, batch $b"
    $PRE bench --teacher $TEACHER --dataset $DATA --split train --device cuda --batch $b --threads 2 --repeats 3
  done
  for b in 256 1024; do
    echo "== PyTorch on the same GPU, same teacher, train split, batch $b"
    $PY bench/gpu/torch_teacher.py .gpu/teacher-torch.pt /tmp/data train tests/Distill.Teacher.Tests/data/fmnist-resnet.reference-logits.json $b
  done
  echo "== PyTorch on the test split (checks the rebuilt teacher against the reference logits)"
  $PY bench/gpu/torch_teacher.py .gpu/teacher-torch.pt /tmp/data test tests/Distill.Teacher.Tests/data/fmnist-resnet.reference-logits.json 256
} > "$log" 2>&1
tail -60 "$log"
