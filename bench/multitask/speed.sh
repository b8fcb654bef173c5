#!/usr/bin/env bash
# Issue 14, acceptance 4: train-student's epoch against bench/multitask/torch_multitask.py's on this CPU, same student
# (multitask-small), recipe (seed 003's objective), batch, threads and data; each side's training pass alone (the
# test evaluation excluded), mean over EPOCHS epochs of one run. Prints the ratio ours / PyTorch (goal: <= 1.0).
#   bash bench/multitask/speed.sh                # 20,000 canvases, 2 epochs, batch 64, 2 threads
#   EPOCHS=1 DATA=data/fmnist-scenes-quick bash bench/multitask/speed.sh   # smoke run
source "$(dirname "$0")/common.sh"
EPOCHS=${EPOCHS:-2}; BATCH=${BATCH:-64}; RECIPE=${RECIPE:-distill}
run="$OUT/speed-ours"
$train_student --recipe recipes/fmnist-scenes/multitask-small.$RECIPE.json --epochs "$EPOCHS" --batch "$BATCH" \
  --threads "$THREADS" --dataset "yolo:$DATA" --cache "$OUT/cache-train" --test-cache "$OUT/cache-test" --out "$run" --overwrite > "$run.log"
$torch_multitask --recipe "$RECIPE" --epochs "$EPOCHS" --batch "$BATCH" > "$OUT/speed-torch.log"
/usr/bin/python3 - "$run/metrics.jsonl" "$OUT/speed-torch.log" <<'PY'
import json, sys
ours = [json.loads(l)["seconds"] for l in open(sys.argv[1]) if l.strip()]
torch = [float(l.split()[3]) for l in open(sys.argv[2]) if l.startswith("epoch ")]
print("train-student epoch seconds:", " ".join(f"{s:.1f}" for s in ours))
print("PyTorch       epoch seconds:", " ".join(f"{s:.1f}" for s in torch))
ratio = (sum(ours) / len(ours)) / (sum(torch) / len(torch))
print(f"ours / PyTorch (mean epoch): {ratio:.2f}x (goal <= 1.0x)")
PY
