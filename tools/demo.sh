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
# Stage 2: train a student with KD on the cached logits, then compare it with the teacher.
echo "== train-student: mlp-256-256, KD (T=4, 0.1 CE + 0.9 KD), 20 epochs"
dotnet build tools/train-student -c Release -nologo -v q -clp:ErrorsOnly
rm -rf runs/demo-kd-mlp256
tools/train-student/bin/Release/net10.0/train-student --recipe recipes/fmnist/mlp-256-256.kd.json \
  --cache caches/fmnist-train --test-cache caches/fmnist-test --out runs/demo-kd-mlp256
py=$([ -x /usr/bin/python3 ] && echo /usr/bin/python3 || echo python3)
$py - <<'PY'
import json
card = json.load(open("models/fmnist-resnet/fmnist-resnet.json"))
s = json.load(open("runs/demo-kd-mlp256/summary.json"))
t = card.get("accuracy", {}).get("test")
print(f"teacher test accuracy: {t}")
print(f"student test accuracy: {s['final_test_acc']:.4f} (mlp-256-256, {s['parameters']:,} parameters, agreement with teacher {s['final_agreement']:.4f})")
PY
