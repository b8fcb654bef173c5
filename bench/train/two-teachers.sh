#!/usr/bin/env bash
# Issue 13, acceptance 3: mlp-256-256, KD to both teachers of a `separate` cache (models/fmnist-resnet as `logits`,
# models/fmnist-cnn as `logits_t1`, 0.45 + 0.45 after ce 0.1) against KD to each alone (0.1 + 0.9), EPOCHS epochs,
# SEEDS seeds; prints each run's final test accuracy and the means. Full: SEEDS="0 1 2" EPOCHS=20 bash bench/train/two-teachers.sh
set -euo pipefail
export OMP_WAIT_POLICY=PASSIVE   # libgomp workers that spin cost 100x on a busy machine (bench/losses/README.md)
cd "$(dirname "$0")/../.."
SEEDS=${SEEDS:-"0 1 2"}; EPOCHS=${EPOCHS:-20}; THREADS=${THREADS:-2}
[ -z "${NO_BUILD:-}" ] && dotnet build tools/train-student -c Release -v q -nologo -clp:ErrorsOnly && dotnet build tools/precompute-logits -c Release -v q -nologo -clp:ErrorsOnly
PL="dotnet tools/precompute-logits/bin/Release/net10.0/precompute-logits.dll"
TS="dotnet tools/train-student/bin/Release/net10.0/train-student.dll"
for split in train test; do
  $PL inspect caches/fmnist-$split-2t >/dev/null 2>&1 || $PL --teacher models/fmnist-resnet/fmnist-resnet.onnx \
    --teacher models/fmnist-cnn/fmnist-cnn.onnx --dataset fashion-mnist --split $split --out caches/fmnist-$split-2t --overwrite
done
runs=$(mktemp -d); trap 'rm -rf "$runs"' EXIT
printf "%-22s %-5s %s\n" objective seed test_acc
for seed in $SEEDS; do
  for r in fmnist-terms/mlp-256-256.kd_two_teachers fmnist/mlp-256-256.kd fmnist-terms/mlp-256-256.kd_second_teacher; do
    name=$(basename "$r")
    $TS --recipe recipes/$r.json --cache caches/fmnist-train-2t --test-cache caches/fmnist-test-2t --epochs "$EPOCHS" \
      --seed "$seed" --threads "$THREADS" --out "$runs/$name-$seed" >/dev/null
    printf "%-22s %-5s %s\n" "$name" "$seed" "$(jq .final_test_acc "$runs/$name-$seed/summary.json")"
  done
done
for name in mlp-256-256.kd_two_teachers mlp-256-256.kd mlp-256-256.kd_second_teacher; do
  printf "mean %-22s %s\n" "$name" "$(cat "$runs"/$name-*/summary.json | jq -s 'map(.final_test_acc) | add / length')"
done
