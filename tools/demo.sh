#!/usr/bin/env bash
# The main job end to end on the default data: cache the teacher's logits for Fashion-MNIST train and test (ONNX
# Runtime), train a KD student on them (TorchSharp), and evaluate teacher and student side by side (the report
# docs/export/evaluation.md shows). A cache that exists and reads back is not recomputed.
#   bash tools/demo.sh           about 3 minutes on 2 cores after the build (60,000 training samples, 20 epochs)
#   bash tools/demo.sh --quick   about 30 s after the build (5,000 training samples, 2 epochs)
set -euo pipefail
cd "$(dirname "$0")/.."
quick=0
case "${1:-}" in
  --quick) quick=1 ;;
  "") ;;
  *) echo "usage: bash tools/demo.sh [--quick]" >&2; exit 2 ;;
esac
if [ $quick = 1 ]; then
  echo "== quick demo: 5,000 training samples, 2 epochs; expect about 30 s after the build (the full demo: about 3 minutes)"
  train_cache=caches/fmnist-train-5k; limit=(--limit 5000); epochs=2; run=runs/demo-quick
else
  echo "== demo: 60,000 training samples, 20 epochs; expect about 3 minutes after the build on 2 cores (bash tools/demo.sh --quick: about 30 s)"
  train_cache=caches/fmnist-train; limit=(); epochs=20; run=runs/demo-kd-mlp256
fi
start=$SECONDS
bash tools/ensure-data.sh
echo "== building (Release)"
for tool in precompute-logits train-student evaluate; do
  dotnet build tools/$tool -c Release -nologo -v q -clp:ErrorsOnly
done
precompute="dotnet tools/precompute-logits/bin/Release/net10.0/precompute-logits.dll"
teacher=models/fmnist-resnet/fmnist-resnet.onnx
for cache in "$train_cache:train" "caches/fmnist-test:test"; do
  dir=${cache%%:*}; split=${cache##*:}
  if $precompute inspect "$dir" >/dev/null 2>&1; then
    echo "== $dir exists and reads back (the teacher is not run again)"
  else
    echo "== precompute-logits: fashion-mnist $split"
    extra=(); [ "$split" = train ] && extra=("${limit[@]}")
    $precompute --teacher $teacher --dataset fashion-mnist --split "$split" "${extra[@]}" --out "$dir" --overwrite
  fi
  $precompute inspect "$dir"
done
# Stage 2: train a student with KD on the cached logits.
echo "== train-student: mlp-256-256, KD (T=4, 0.1 CE + 0.9 KD), $epochs epochs"
rm -rf "$run"
tools/train-student/bin/Release/net10.0/train-student --recipe recipes/fmnist/mlp-256-256.kd.json \
  --cache "$train_cache" --test-cache caches/fmnist-test --epochs $epochs --out "$run"
# Teacher vs student on the test split: accuracy, agreement, calibration, size, latency, confusion matrices.
echo "== evaluate: teacher vs student on fashion-mnist test"
tools/evaluate/bin/Release/net10.0/evaluate $teacher "$run/student.onnx" --dataset fashion-mnist --split test --out "$run/evaluation.md"
echo "== done in $((SECONDS - start)) s: report $run/evaluation.md (plots $run/evaluation.png, $run/evaluation-confusion.png), run $run"
