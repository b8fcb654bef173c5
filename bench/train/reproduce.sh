#!/usr/bin/env bash
# Acceptance 1: reproduce the reference table (../shared/reference/fmnist-students.json) with train-student.
# Runs STUDENTS × LOSSES × SEEDS from recipes/fmnist/STUDENT.LOSS.json (Adam 1e-3, batch 128, EPOCHS epochs),
# then prints our mean test accuracy vs PyTorch's mean and the difference (goal |diff| ≤ 0.5 pp).
# Finished runs (summary.json present) are skipped, so the script can be rerun to continue.
#   bench/train/reproduce.sh                                   # full: 3 students × 4 losses × 3 seeds × 20 epochs
#   STUDENTS=mlp-20-20 LOSSES="ce kd" SEEDS=0 EPOCHS=2 OUT=runs/repro-short bench/train/reproduce.sh   # CI-sized
set -euo pipefail
cd "$(dirname "$0")/../.."
STUDENTS=${STUDENTS:-"mlp-20-20 mlp-256-256 cnn-small"}
LOSSES=${LOSSES:-"ce kd dkd dist_t4"}
SEEDS=${SEEDS:-"0 1 2"}
EPOCHS=${EPOCHS:-20}
THREADS=${THREADS:-2}
OUT=${OUT:-runs/repro}
TRAIN_CACHE=${TRAIN_CACHE:-caches/fmnist-train}
TEST_CACHE=${TEST_CACHE:-caches/fmnist-test}
REFERENCE=${REFERENCE:-../shared/reference/fmnist-students.json}
[ -f "$REFERENCE" ] || REFERENCE=/work/shared/reference/fmnist-students.json

mkdir -p "$OUT"
if [ -z "${NO_BUILD:-}" ]; then dotnet build tools/train-student -c Release -v q -nologo >/dev/null; fi
PRE="dotnet run --project tools/precompute-logits -c Release --"
for split in train test; do
  cache=$([ $split = train ] && echo "$TRAIN_CACHE" || echo "$TEST_CACHE")
  [ -f "$cache/part-00000.parquet" ] || $PRE --teacher models/fmnist-resnet/fmnist-resnet.onnx --dataset fashion-mnist --split $split --out "$cache"
done
# Run from a snapshot of the build so that rebuilding during a long run does not disturb it.
BIN="$OUT/.bin-$$"
trap 'rm -rf "$BIN"' EXIT
rm -rf "$BIN"; cp -al tools/train-student/bin/Release/net10.0 "$BIN"
for f in "$BIN"/*.dll; do cp --remove-destination "tools/train-student/bin/Release/net10.0/$(basename "$f")" "$f"; done

# Seed-major order, so that a partial run already covers every student and loss. Several instances may run at once
# (JOBS=2 ... or by hand): each run is claimed with mkdir RUN.lock (remove stale locks after a crash).
for seed in $SEEDS; do for s in $STUDENTS; do for l in $LOSSES; do
  run="$OUT/$s.$l.seed$seed"
  [ -f "$run/summary.json" ] && continue
  mkdir "$run.lock" 2>/dev/null || continue
  rm -rf "$run"
  echo "== $s $l seed $seed ($(date -u +%H:%M:%S))"
  "$BIN/train-student" --recipe "recipes/fmnist/$s.$l.json" --seed "$seed" --epochs "$EPOCHS" --threads "$THREADS" \
    --cache "$TRAIN_CACHE" --test-cache "$TEST_CACHE" --out "$run" > "$OUT/$s.$l.seed$seed.log" 2>&1 \
    || { echo "FAILED: see $OUT/$s.$l.seed$seed.log"; tail -3 "$OUT/$s.$l.seed$seed.log"; }
  grep -E "^epoch $EPOCHS/" "$OUT/$s.$l.seed$seed.log" || true
  rmdir "$run.lock"
done; done; done
/usr/bin/python3 bench/train/table.py "$OUT" "$REFERENCE"
