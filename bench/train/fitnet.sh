#!/usr/bin/env bash
# Issue 13, acceptance 2: FitNet on Fashion-MNIST. cnn-small with ce 0.1 + kd 0.9 (T = 4) + hint_mse (tap fc1 [400]
# → linear adapter → the teacher's pooled features /Flatten_output_0 [128], cached straight from
# models/fmnist-resnet), against kd alone, SEEDS seeds × EPOCHS epochs each; prints final test accuracy per run and
# the means, next to the same recipe in Debian's PyTorch (bench/train/torch_fitnet.py). Full measurement: SEEDS="0 1 2" EPOCHS=20 bash bench/train/fitnet.sh
# Smoke: SEEDS=0 EPOCHS=1 LIMIT=6000 bash bench/train/fitnet.sh
# Until precompute-logits --output takes any graph tensor, TEACHER may name a copy of the teacher whose graph lists
# /Flatten_output_0 as an output (onnx.helper.make_tensor_value_info), which caches the same values.
set -euo pipefail
export OMP_WAIT_POLICY=PASSIVE   # libgomp workers that spin cost 100x on a busy machine (bench/losses/README.md)
cd "$(dirname "$0")/../.."
SEEDS=${SEEDS:-"0 1 2"}; EPOCHS=${EPOCHS:-20}; THREADS=${THREADS:-2}
TEACHER=${TEACHER:-models/fmnist-resnet/fmnist-resnet.onnx}
LIMIT=${LIMIT:-}
FEAT=${FEAT:-caches/fmnist-train-feat${LIMIT:+-$LIMIT}}
[ -z "${NO_BUILD:-}" ] && dotnet build tools/train-student -c Release -v q -nologo -clp:ErrorsOnly && dotnet build tools/precompute-logits -c Release -v q -nologo -clp:ErrorsOnly
PL="dotnet tools/precompute-logits/bin/Release/net10.0/precompute-logits.dll"
TS="dotnet tools/train-student/bin/Release/net10.0/train-student.dll"
$PL inspect "$FEAT" >/dev/null 2>&1 || $PL --teacher "$TEACHER" --dataset fashion-mnist --split train ${LIMIT:+--limit $LIMIT} \
  --output logits --output /Flatten_output_0 --out "$FEAT" --overwrite
runs=$(mktemp -d); trap 'rm -rf "$runs"' EXIT
printf "%-10s %-5s %-10s %s\n" objective seed ours pytorch
for seed in $SEEDS; do
  $TS --recipe recipes/fmnist-terms/cnn-small.kd_hint.json --cache "$FEAT" --epochs "$EPOCHS" --seed "$seed" --threads "$THREADS" --out "$runs/hint-$seed" >/dev/null
  $TS --recipe recipes/fmnist/cnn-small.kd.json --cache "$FEAT" --epochs "$EPOCHS" --seed "$seed" --threads "$THREADS" --out "$runs/kd-$seed" >/dev/null
  for o in hint kd; do
    /usr/bin/python3 bench/train/torch_fitnet.py "$o" "$EPOCHS" "$seed" ${LIMIT:-} > "$runs/$o-$seed.torch"
    printf "%-10s %-5s %-10s %s\n" "$o" "$seed" "$(jq .final_test_acc "$runs/$o-$seed/summary.json")" "$(cat "$runs/$o-$seed.torch")"
  done
done
for o in hint kd; do
  printf "mean %-5s ours %s pytorch %s\n" "$o" "$(cat "$runs"/$o-*/summary.json | jq -s 'map(.final_test_acc) | add / length')" \
    "$(cat "$runs"/$o-*.torch | jq -s 'add / length')"
done
