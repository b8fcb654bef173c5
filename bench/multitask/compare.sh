#!/usr/bin/env bash
# Issue 14, acceptance 3: does distillation help, and do we train as PyTorch does? multitask-small with seed 003's
# objective (recipes/fmnist-scenes/multitask-small.distill.json) and with the label losses alone (.labels.json), each
# for SEEDS, trained by train-student and by bench/multitask/torch_multitask.py (same student, recipe and teacher cache);
# prints test mIoU and mAP@0.5 per run, the means, the teacher's, and whether ours and PyTorch's means agree within 1 pp.
#   bash bench/multitask/compare.sh              # full: 20,000 / 2,000 canvases, 10 epochs, seeds 0 1 2
#   SEEDS=0 EPOCHS=1 DATA=data/fmnist-scenes-quick bash bench/multitask/compare.sh   # smoke run
# Also: BATCH (the recipes' 64), THREADS (2), OUT and the settings of common.sh.
source "$(dirname "$0")/common.sh"
SEEDS=${SEEDS:-0 1 2}; EPOCHS=${EPOCHS:-10}; BATCH=${BATCH:-64}
results="$OUT/compare.jsonl"
: > "$results"
for seed in $SEEDS; do
  for recipe in distill labels; do
    run="$OUT/ours-$recipe-s$seed"
    $train_student --recipe recipes/fmnist-scenes/multitask-small.$recipe.json --seed "$seed" --epochs "$EPOCHS" \
      --batch "$BATCH" --threads "$THREADS" --dataset "yolo:$DATA" --cache "$OUT/cache-train" --test-cache "$OUT/cache-test" \
      --out "$run" --overwrite > "$run.log"
    /usr/bin/python3 -c "import json,sys; s=json.load(open(sys.argv[1])); print(json.dumps({'side':'ours','recipe':sys.argv[2],'seed':int(sys.argv[3]), **{k:s[k] for k in ('final_test_miou','final_test_map50','teacher_test_miou','teacher_test_map50')}}))" \
      "$run/summary.json" "$recipe" "$seed" >> "$results"
    $torch_multitask --recipe "$recipe" --seed "$seed" --epochs "$EPOCHS" --batch "$BATCH" > "$OUT/torch-$recipe-s$seed.log"
    tail -n 1 "$OUT/torch-$recipe-s$seed.log" | /usr/bin/python3 -c "import json,sys; r=json.load(sys.stdin); r['side']='torch'; print(json.dumps(r))" >> "$results"
    tail -n 2 "$results"
  done
done
/usr/bin/python3 bench/multitask/compare_table.py "$results"
