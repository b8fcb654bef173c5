#!/usr/bin/env bash
# Multi-task distillation end to end on "Fashion-MNIST scenes": generate the scenes if missing (make-scenes), cache the
# teacher's two heads (models/fmnist-scenes: seg in float16, det in float32), train multitask-small with seed 003's
# objective (recipes/fmnist-scenes/multitask-small.distill.json), print teacher vs student mIoU and mAP@0.5 on the test
# split, and draw the first test canvases with the labels', the teacher's and the student's masks and boxes
# (runs/demo-multitask-SIZE/preview.png).
#   bash tools/demo-multitask.sh [quick|full]
# quick (default, ~2 minutes on 2 cores): 3,000 train / 400 test canvases, 6 epochs at batch 32 (more steps than the
# recipe's 64 on so few canvases); the student is far from the teacher after so little training, so the preview draws
# boxes from confidence 0.1 (0.3 for full).
# full: the 20,000 / 2,000 canvases of data/fmnist-scenes and the recipe's 10 epochs (about 15-20 minutes on 2 cores).
# Caches and scenes that exist and read back are reused; the run is replaced.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-quick}
case "$size" in
  quick) train=3000; test=400; epochs=6; batch=32; threshold=0.1; data=data/fmnist-scenes-quick ;;
  full) train=20000; test=2000; epochs=10; batch=64; threshold=0.3; data=data/fmnist-scenes ;;
  *) echo "usage: bash tools/demo-multitask.sh [quick|full]" >&2; exit 2 ;;
esac
bash tools/ensure-data.sh
echo "== building (Release)"
for tool in make-scenes precompute-logits train-student scene-preview; do
  dotnet build tools/$tool -c Release -nologo -v q -clp:ErrorsOnly
done
bin() { echo "dotnet tools/$1/bin/Release/net10.0/$1.dll"; }
if [ -f "$data/scenes.json" ]; then
  echo "== $data exists (not generated again)"
else
  echo "== make-scenes: $train train / $test test canvases into $data"
  $(bin make-scenes) --out "$data" --train "$train" --test "$test"
fi
teacher=models/fmnist-scenes/fmnist-scenes.onnx
for split in train test; do
  cache=caches/demo-scenes-$size-$split
  if $(bin precompute-logits) inspect "$cache" >/dev/null 2>&1; then
    echo "== $cache exists and reads back (the teacher is not run again)"
  else
    echo "== precompute-logits: the teacher's seg (float16) and det on $data $split"
    $(bin precompute-logits) --teacher $teacher --dataset "yolo:$data" --split $split --output seg --output det \
      --dtype float16 --threads 2 --out "$cache" --overwrite | tail -n 3
  fi
done
run=runs/demo-multitask-$size
echo "== train-student: multitask-small, seed 003's objective (seg_ce + seg_kl + det_yolo + det_mse), $epochs epochs"
$(bin train-student) --recipe recipes/fmnist-scenes/multitask-small.distill.json --epochs "$epochs" --batch "$batch" --threads 2 \
  --dataset "yolo:$data" --cache caches/demo-scenes-$size-train --test-cache caches/demo-scenes-$size-test \
  --out "$run" --overwrite
field() { sed -n "s/.*\"$1\": *\([0-9.eE+-]*\).*/\1/p" "$run/summary.json" | head -n 1; }
echo
printf '%-34s %8s %8s\n' "test split ($test canvases)" mIoU mAP@0.5
t_miou=$(field teacher_test_miou); t_map=$(field teacher_test_map50); s_miou=$(field final_test_miou); s_map=$(field final_test_map50)
printf '%-34s %8.3f %8.3f\n' "teacher (fmnist-scenes, 466,336)" "$t_miou" "$t_map"
printf '%-34s %8.3f %8.3f\n' "student (multitask-small, $(field parameters))" "$s_miou" "$s_map"
$(bin scene-preview) --dataset "yolo:$data" --teacher-cache caches/demo-scenes-$size-test --run "$run" --count 4 --threshold "$threshold" \
  --teacher-title "$(printf 'teacher: mIoU %.2f, mAP %.2f' "$t_miou" "$t_map")" \
  --student-title "$(printf 'student: mIoU %.2f, mAP %.2f' "$s_miou" "$s_map")" --out "$run/preview.png"
