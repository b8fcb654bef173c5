#!/usr/bin/env bash
# Acceptance 3: one epoch of mlp:64 on a synthetic npy dataset of 1,000,000 × 32 whose cache holds 1,000 float32
# logits per row (4 GB) must keep peak RSS under 1 GB. Prints /usr/bin/time -v's maximum resident set size.
set -euo pipefail
cd "$(dirname "$0")/../.."
DIR=${DIR:-caches/synthetic-1m}
[ -z "${NO_BUILD:-}" ] && dotnet build tools/train-student -c Release -v q -nologo >/dev/null
TS=tools/train-student/bin/Release/net10.0/train-student
[ -f "$DIR/cache/part-00000.parquet" ] || $TS make-synthetic --out "$DIR" --rows 1000000 --features 32 --classes 1000
du -sh "$DIR/cache"
out=$(mktemp -d)
/usr/bin/time -v $TS --cache "$DIR/cache" --dataset "npy:$DIR/x.npy,$DIR/y.npy" --student mlp:64 --loss kd --epochs 1 \
  --batch 128 --threads 2 --out "$out/run" 2> "$out/time.txt" | tail -3
grep -E "Maximum resident|Elapsed \(wall" "$out/time.txt"
kb=$(awk '/Maximum resident/ {print $6}' "$out/time.txt")
echo "peak RSS: $((kb / 1024)) MB (goal < 1024 MB)"
rm -rf "$out"
[ "$kb" -lt 1048576 ]
