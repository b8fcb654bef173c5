#!/usr/bin/env bash
# Acceptance 2 of the multi-task teacher: the seg and det that precompute-logits caches (ONNX Runtime, float32 and
# float16) against PyTorch's outputs of fmnist-scenes.pt on the first N test canvases (default 256).
#   bash models/fmnist-scenes/check_cache.sh [DATA=data/fmnist-scenes] [N=256]
# Bounds: float32 |diff| <= 1e-4 for both; float16 (stores the first output, seg) |diff| <= 1e-2 * max(|x|, 1e-3).
set -euo pipefail
cd "$(dirname "$0")/../.."
data=${1:-data/fmnist-scenes}
n=${2:-256}
[ -d "$data" ] || dotnet run --project tools/make-scenes -c Release -- --out "$data"
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
/usr/bin/python3 models/fmnist-scenes/make_fixtures.py --data "$data" --count "$n" --out "$work/torch"
for dtype in float32 float16; do
  dotnet run --project tools/precompute-logits -c Release -- --teacher models/fmnist-scenes/fmnist-scenes.onnx \
    --dataset "yolo:$data" --split test --limit "$n" --output seg --output det --dtype "$dtype" --threads 2 \
    --device cpu --out "$work/$dtype" > "$work/$dtype.log"
done
dotnet run --project bench/CacheVsNpy -c Release -- "$work/float32" \
  "seg=$work/torch/seg.npy:abs=1e-4" "det=$work/torch/det.npy:abs=1e-4"
dotnet run --project bench/CacheVsNpy -c Release -- "$work/float16" \
  "seg=$work/torch/seg.npy:rel=1e-2" "det=$work/torch/det.npy:abs=1e-4"
