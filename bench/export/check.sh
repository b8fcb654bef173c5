#!/usr/bin/env bash
# PyTorch reads what train-student exports: trains each STUDENT (default: mlp-256-256 cnn-small resnet20) for one
# epoch on 5,000 cached Fashion-MNIST training rows through the real tools, loads RUN/student.safetensors into the
# matching PyTorch module (check_safetensors.py, Debian's python3-torch) and compares PyTorch's test accuracy with the
# run's own (TorchSharp's evaluation in summary.json).
# Usage: bench/export/check.sh [STUDENT...]        (replaces the PyTorchCheckDump test, which CI never ran)
set -euo pipefail
cd "$(dirname "$0")/../.."
bash tools/ensure-data.sh
dotnet build tools/precompute-logits -c Release -nologo -v q -clp:ErrorsOnly
dotnet build tools/train-student -c Release -nologo -v q -clp:ErrorsOnly
pl="dotnet tools/precompute-logits/bin/Release/net10.0/precompute-logits.dll"
ts="dotnet tools/train-student/bin/Release/net10.0/train-student.dll"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
teacher=models/fmnist-resnet/fmnist-resnet.onnx
$pl --teacher $teacher --split train --limit 5000 --out "$tmp/train" --device cpu --threads 2 >/dev/null
$pl --teacher $teacher --split test --out "$tmp/test" --device cpu --threads 2 >/dev/null
students=("$@")
[ ${#students[@]} -gt 0 ] || students=(mlp-256-256 cnn-small resnet20)
for s in "${students[@]}"; do
  $ts --cache "$tmp/train" --test-cache "$tmp/test" --student "$s" --loss kd --epochs 1 --threads 2 --out "$tmp/$s" >/dev/null
  acc=$(sed -n 's/.*"final_test_acc": *\([0-9.]*\).*/\1/p' "$tmp/$s/summary.json")
  /usr/bin/python3 bench/export/check_safetensors.py "$tmp/$s/student.safetensors" "$s" --expect-acc "$acc"
done
