#!/usr/bin/env bash
# The main job end to end on the default data: cache the teacher's logits for Fashion-MNIST train and test
# (ONNX Runtime) and print the caches' summaries. A cache that exists and reads back is not recomputed.
set -euo pipefail
cd "$(dirname "$0")/.."
bash tools/ensure-data.sh
echo "== building (Release)"
dotnet build tools/precompute-logits -c Release -nologo -v q -clp:ErrorsOnly
precompute="dotnet tools/precompute-logits/bin/Release/net10.0/precompute-logits.dll"
teacher=models/fmnist-resnet/fmnist-resnet.onnx
for split in train test; do
  if $precompute inspect caches/fmnist-$split >/dev/null 2>&1; then
    echo "== caches/fmnist-$split exists and reads back (the teacher is not run again)"
  else
    echo "== precompute-logits: fashion-mnist $split"
    $precompute --teacher $teacher --dataset fashion-mnist --split $split --out caches/fmnist-$split --overwrite
  fi
  $precompute inspect caches/fmnist-$split
done
