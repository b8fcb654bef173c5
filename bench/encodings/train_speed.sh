#!/usr/bin/env bash
# Issue 17 acceptance 4: a train-student epoch on a top-5 cache of 1,000 classes ÷ the same training on the dense
# (float32) cache of the same teacher and data. Goal ≤ 1.05. Teacher: bench/encodings/out/linear-1000.onnx
# (make_teacher.py), data: Fashion-MNIST train (first LIMIT samples). Runs alternate (dense, top-5) ROUNDS times;
# each run's fastest epoch after the first (warm-up) counts, and the ratio is the median of the per-round ratios.
# Usage: bench/encodings/train_speed.sh [LIMIT=60000] [EPOCHS=3] [ROUNDS=3]   (STUDENT, LOSS, THREADS override)
set -euo pipefail
cd "$(dirname "$0")/../.."
LIMIT=${1:-60000}; EPOCHS=${2:-3}; ROUNDS=${3:-3}
STUDENT=${STUDENT:-mlp-256-256}; LOSS=${LOSS:-kd}; THREADS=${THREADS:-2}
export OMP_WAIT_POLICY=PASSIVE
[ -f bench/encodings/out/linear-1000.onnx ] || /usr/bin/python3 bench/encodings/make_teacher.py
[ -z "${NO_BUILD:-}" ] && dotnet build tools/precompute-logits -c Release -v q -nologo >/dev/null && dotnet build tools/train-student -c Release -v q -nologo >/dev/null
PL=tools/precompute-logits/bin/Release/net10.0/precompute-logits
TS=tools/train-student/bin/Release/net10.0/train-student
tmp=$(mktemp -d /tmp/distill-encodings-train-XXXXXX)
trap 'rm -rf "$tmp"' EXIT
for enc in dense top5; do
  flags=(); [ $enc = top5 ] && flags=(--top-k 5)
  $PL --teacher bench/encodings/out/linear-1000.onnx --dataset fashion-mnist --split train --limit "$LIMIT" \
    --threads "$THREADS" --device cpu --out "$tmp/$enc" "${flags[@]}" | grep -E "^(file|bytes/sample| )" || true
done
best() { tail -n +2 "$1/metrics.jsonl" | /usr/bin/python3 -c 'import json,sys; print(min(json.loads(l)["seconds"] for l in sys.stdin))'; }
ratios=()
printf "%-6s %10s %10s %8s\n" round "dense s" "top-5 s" "ratio"
for r in $(seq 1 "$ROUNDS"); do
  for enc in dense top5; do
    $TS --cache "$tmp/$enc" --student "$STUDENT" --loss "$LOSS" --epochs "$EPOCHS" --batch 128 --threads "$THREADS" \
      --out "$tmp/run-$enc-$r" >/dev/null
  done
  d=$(best "$tmp/run-dense-$r"); t=$(best "$tmp/run-top5-$r")
  ratio=$(/usr/bin/python3 -c "print(f'{$t/$d:.3f}')"); ratios+=("$ratio")
  printf "%-6s %10.2f %10.2f %8s\n" "$r" "$d" "$t" "$ratio"
done
echo "top-5 ÷ dense epoch (median of $ROUNDS rounds, $STUDENT $LOSS, $LIMIT samples, C = 1000): $(printf '%s\n' "${ratios[@]}" | sort -n | sed -n "$(( (ROUNDS + 1) / 2 ))p")  (goal ≤ 1.05)"
