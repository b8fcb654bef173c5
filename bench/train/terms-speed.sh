#!/usr/bin/env bash
# Issue 13, acceptance 5, measured in one run on one machine:
#  (a) the term machinery's cost: train-student of this tree vs the pre-terms trainer (BASE_REF, default main's
#      merge-base with this branch, built once into BASE_DIR) on mlp-256-256 kd; goal ours ÷ base ≤ 1.03;
#  (b) cnn-small kd + hint_mse (fc1 → linear adapter → /Flatten_output_0) vs cnn-small kd on the same feature cache;
#      goal ≤ 1.15.
# Runs alternate ROUNDS times, EPOCHS epochs each, 2 threads; each keeps its fastest epoch after the first (warm-up).
# Full: ROUNDS=5 EPOCHS=3 bash bench/train/terms-speed.sh   Smoke: ROUNDS=1 EPOCHS=2 LIMIT=6000 bash bench/train/terms-speed.sh
# FEAT: a cache with logits and /Flatten_output_0 (bench/train/fitnet.sh makes caches/fmnist-train-feat[-LIMIT]).
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${ROUNDS:-5}; EPOCHS=${EPOCHS:-3}; LIMIT=${LIMIT:-}
TRAIN_CACHE=${TRAIN_CACHE:-caches/fmnist-train}
FEAT=${FEAT:-caches/fmnist-train-feat${LIMIT:+-$LIMIT}}
BASE_REF=${BASE_REF:-$(git merge-base main HEAD)}
BASE_DIR=${BASE_DIR:-/tmp/distill-base-$(git rev-parse --short "$BASE_REF")}
export OMP_WAIT_POLICY=PASSIVE
[ -z "${NO_BUILD:-}" ] && dotnet build tools/train-student -c Release -v q -nologo -clp:ErrorsOnly
if [ ! -f "$BASE_DIR/tools/train-student/bin/Release/net10.0/train-student.dll" ]; then
  mkdir -p "$BASE_DIR" && git archive "$BASE_REF" | tar -x -C "$BASE_DIR"
  dotnet build "$BASE_DIR/tools/train-student" -c Release -v q -nologo -clp:ErrorsOnly
fi
[ -f "$FEAT/part-00000.parquet" ] || { echo "no feature cache $FEAT: run bench/train/fitnet.sh first (same LIMIT)"; exit 1; }
OURS="dotnet tools/train-student/bin/Release/net10.0/train-student.dll"
BASE="dotnet $BASE_DIR/tools/train-student/bin/Release/net10.0/train-student.dll"
tmp=$(mktemp -d); trap 'rm -rf "$tmp"' EXIT
best() { tail -n +2 "$1/metrics.jsonl" | jq -s 'map(.seconds) | min'; }
declare -A t
for round in $(seq "$ROUNDS"); do
  for run in base ours; do
    cmd=$([ $run = base ] && echo "$BASE" || echo "$OURS")
    $cmd --recipe recipes/fmnist/mlp-256-256.kd.json --cache "$TRAIN_CACHE" --epochs "$EPOCHS" --threads 2 --out "$tmp/$run-$round" >/dev/null
    t[$run]=$(jq -n "[${t[$run]:-1e9}, $(best "$tmp/$run-$round")] | min")
  done
  $OURS --recipe recipes/fmnist/cnn-small.kd.json --cache "$FEAT" --epochs "$EPOCHS" --threads 2 --out "$tmp/kd-$round" >/dev/null
  $OURS --recipe recipes/fmnist-terms/cnn-small.kd_hint.json --cache "$FEAT" --epochs "$EPOCHS" --threads 2 --out "$tmp/hint-$round" >/dev/null
  t[kd]=$(jq -n "[${t[kd]:-1e9}, $(best "$tmp/kd-$round")] | min")
  t[hint]=$(jq -n "[${t[hint]:-1e9}, $(best "$tmp/hint-$round")] | min")
done
printf "mlp-256-256 kd epoch: base %.3f s, terms %.3f s, terms/base %.3f (goal <= 1.03)\n" "${t[base]}" "${t[ours]}" "$(jq -n "${t[ours]} / ${t[base]}")"
printf "cnn-small epoch: kd %.3f s, kd+hint_mse %.3f s, hint/kd %.3f (goal <= 1.15)\n" "${t[kd]}" "${t[hint]}" "$(jq -n "${t[hint]} / ${t[kd]}")"
