#!/usr/bin/env bash
# "Nothing old moves" (issue 13, acceptance 4): every recipe under recipes/fmnist for a short run (default 2 epochs,
# seed 0, 1 thread), printing each run's metrics.jsonl without the timing fields. Run it with main's build and with
# this branch's build on the same machine and diff the two outputs: they must be identical.
#   bash bench/train/recipes-short.sh [TRAIN_STUDENT_DLL] [EPOCHS] > out.txt
# The caches caches/fmnist-{train,test} come from tools/demo.sh (or precompute-logits).
set -euo pipefail
cd "$(dirname "$0")/../.."
dll=${1:-tools/train-student/bin/Release/net10.0/train-student.dll}
epochs=${2:-2}
runs=$(mktemp -d)
trap 'rm -rf "$runs"' EXIT
for recipe in recipes/fmnist/*.json; do
  name=$(basename "$recipe" .json)
  dotnet "$dll" --recipe "$recipe" --cache caches/fmnist-train --test-cache caches/fmnist-test \
    --epochs "$epochs" --seed 0 --threads 1 --out "$runs/$name" > "$runs/$name.log" 2>&1 \
    || { cat "$runs/$name.log" >&2; exit 1; }
  echo "== $name"
  jq -c 'del(.seconds, .eval_seconds)' "$runs/$name/metrics.jsonl"
done
