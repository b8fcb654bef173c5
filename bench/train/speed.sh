#!/usr/bin/env bash
# Acceptance 2: epoch time of train-student vs Debian's PyTorch 1.13 (2 threads), same student, loss and batch (128),
# and our offline-KD epoch ÷ our CE-only epoch. Each side runs EPOCHS (3) epochs; the fastest epoch after the first
# (warm-up) is compared, which damps the noise of a shared machine.
# Goals: ours ÷ PyTorch ≤ 1.0; KD ÷ CE ≤ 1.10.   Usage: bench/train/speed.sh   (STUDENTS, LOSSES, EPOCHS override)
set -euo pipefail
cd "$(dirname "$0")/../.."
STUDENTS=${STUDENTS:-"mlp-256-256 cnn-small"}
LOSSES=${LOSSES:-"ce kd dkd"}
EPOCHS=${EPOCHS:-3}
TRAIN_CACHE=${TRAIN_CACHE:-caches/fmnist-train}
[ -z "${NO_BUILD:-}" ] && dotnet build tools/train-student -c Release -v q -nologo >/dev/null
[ -f "$TRAIN_CACHE/part-00000.parquet" ] || dotnet run --project tools/precompute-logits -c Release -- \
  --teacher models/fmnist-resnet/fmnist-resnet.onnx --dataset fashion-mnist --split train --out "$TRAIN_CACHE"
TS=tools/train-student/bin/Release/net10.0/train-student
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
printf "%-12s %-5s %10s %10s %8s %8s\n" student loss "ours s" "torch s" "ours/pt" "kd/ce"
for s in $STUDENTS; do
  ce_time=""
  for l in $LOSSES; do
    $TS --recipe "recipes/fmnist/$s.$l.json" --epochs "$EPOCHS" --threads 2 --cache "$TRAIN_CACHE" --out "$tmp/$s.$l" >/dev/null
    ours=$(tail -n +2 "$tmp/$s.$l/metrics.jsonl" | /usr/bin/python3 -c 'import json,sys; print(min(json.loads(l)["seconds"] for l in sys.stdin))')
    torch=$(/usr/bin/python3 bench/train/pytorch_epoch.py "$s" "$l" "$EPOCHS" | tail -n +2 | awk 'NR==1||$4<m{m=$4} END{print m}')
    [ "$l" = ce ] && ce_time=$ours
    ratio=$(/usr/bin/python3 -c "print(f'{$ours/$torch:.2f}')")
    kdce=$([ -n "$ce_time" ] && [ "$l" != ce ] && /usr/bin/python3 -c "print(f'{$ours/$ce_time:.2f}')" || echo "-")
    printf "%-12s %-5s %10.2f %10.2f %8s %8s\n" "$s" "$l" "$ours" "$torch" "$ratio" "$kdce"
  done
done
