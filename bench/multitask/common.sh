# Shared by compare.sh and speed.sh (sourced): builds the tools, makes the scenes if missing, caches the teacher's two
# heads on train and test, and dumps both caches to .npy for the PyTorch side. Settings (environment):
#   DATA (data/fmnist-scenes)   TRAIN, TEST (20000, 2000: canvases make-scenes writes when DATA is missing)
#   DTYPE (float16: the seg column's, as demo-multitask.sh caches it)   OUT (runs/bench-multitask)   THREADS (2)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
DATA=${DATA:-data/fmnist-scenes}; TRAIN=${TRAIN:-20000}; TEST=${TEST:-2000}; DTYPE=${DTYPE:-float16}
OUT=${OUT:-runs/bench-multitask}; THREADS=${THREADS:-2}
export OMP_WAIT_POLICY=PASSIVE   # Debian's PyTorch spins its OpenMP threads otherwise
for project in tools/make-scenes tools/precompute-logits tools/train-student bench/CacheToNpy; do
  dotnet build $project -c Release -nologo -v q -clp:ErrorsOnly >/dev/null
done
bin() { echo "dotnet $1/bin/Release/net10.0/$(basename "$1").dll"; }
[ -f "$DATA/scenes.json" ] || $(bin tools/make-scenes) --out "$DATA" --train "$TRAIN" --test "$TEST"
mkdir -p "$OUT"
for split in train test; do
  if ! $(bin tools/precompute-logits) inspect "$OUT/cache-$split" >/dev/null 2>&1; then
    $(bin tools/precompute-logits) --teacher models/fmnist-scenes/fmnist-scenes.onnx --dataset "yolo:$DATA" --split $split \
      --output seg --output det --dtype "$DTYPE" --threads "$THREADS" --device cpu --out "$OUT/cache-$split" --overwrite >/dev/null
  fi
  [ -f "$OUT/npy-$split/det.npy" ] || $(bin bench/CacheToNpy) "$OUT/cache-$split" "$OUT/npy-$split" >/dev/null
done
train_student="$(bin tools/train-student)"
torch_multitask="/usr/bin/python3 bench/multitask/torch_multitask.py --data $DATA --teacher-train $OUT/npy-train --teacher-test $OUT/npy-test --threads $THREADS"
