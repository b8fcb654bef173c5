#!/usr/bin/env bash
# Acceptance 4: SIGKILL during epoch 3 of 5, then --resume; summary.json must equal an uninterrupted run's
# (all fields but wall_seconds).   Usage: bench/train/kill-resume.sh
set -euo pipefail
cd "$(dirname "$0")/../.."
[ -z "${NO_BUILD:-}" ] && dotnet build tools/train-student -c Release -v q -nologo >/dev/null
TS=tools/train-student/bin/Release/net10.0/train-student
ARGS=(--cache caches/fmnist-train --test-cache caches/fmnist-test --student mlp-256-256 --loss kd --epochs 5 --seed 7 --threads 2)
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
$TS "${ARGS[@]}" --out "$tmp/a" > "$tmp/a.log"
$TS "${ARGS[@]}" --out "$tmp/b" > "$tmp/b.log" &
pid=$!
until [ -f "$tmp/b/metrics.jsonl" ] && [ "$(wc -l < "$tmp/b/metrics.jsonl")" -ge 2 ]; do sleep 0.1; done
sleep 1   # well inside epoch 3
kill -9 $pid; wait $pid 2>/dev/null || true
echo "killed during epoch 3: $(wc -l < "$tmp/b/metrics.jsonl") epochs in metrics.jsonl, checkpoints: $(ls "$tmp/b/checkpoints")"
[ ! -f "$tmp/b/summary.json" ]
$TS "${ARGS[@]}" --out "$tmp/b" --resume > "$tmp/b2.log"
grep resuming "$tmp/b2.log"
/usr/bin/python3 - "$tmp/a/summary.json" "$tmp/b/summary.json" <<'PY'
import json, sys
a, b = (json.load(open(p)) for p in sys.argv[1:3])
for s in (a, b): s.pop("wall_seconds")
print("uninterrupted:", a["final_test_acc"], " resumed:", b["final_test_acc"])
if a != b:
    sys.exit("summary.json differs: " + json.dumps(a) + " vs " + json.dumps(b))
print("summary.json identical (except wall_seconds)")
PY
