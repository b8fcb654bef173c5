#!/usr/bin/env bash
# Issue 17, acceptance 3, on this CPU, both measurements in one run (make the fixture first: make_fixture.py).
#  (a) same pre-decoded 224x224 batches (OUT/decoded-224.npy), same batch and threads: precompute-logits' images/s
#      (the whole tool on npy:, float32 cache: reading + preprocessing + ONNX Runtime + Parquet, as timed by its
#      `bench-decode`, which also prints the bare ONNX Runtime loop on the same batches) divided by PyTorch's
#      best CPU inference of the same model (torch_speed.py: optimize_for_inference of the traced model, inference
#      alone). Rounds alternate the two; the ratio is the median of per-round ratios. Goal >= 1.0.
#  (b) on the JPEG folder with the card's resize=short:256,crop=center:224: the tool's wall time divided by a
#      decode-only pass + the bare ONNX Runtime loop (`bench-decode`, same process, alternating). Goal <= 1.05.
# Usage: bash bench/imagenet/speed.sh [ROUNDS] [THREADS] [BATCH] [JPEG_LIMIT]   (defaults: 5 2 64 0 = all JPEGs)
set -euo pipefail
cd "$(dirname "$0")/../.."
ROUNDS=${1:-5} THREADS=${2:-2} BATCH=${3:-64} JPEGS=${4:-0}
OUT=bench/imagenet/out
[ -f $OUT/resnet18.onnx ] || { echo "run /usr/bin/python3 bench/imagenet/make_fixture.py first" >&2; exit 1; }
dotnet build tools/precompute-logits -c Release -nologo -v q -clp:ErrorsOnly
TOOL="dotnet tools/precompute-logits/bin/Release/net10.0/precompute-logits.dll"

echo "== (a) pre-decoded 224x224: precompute-logits vs PyTorch (optimize_for_inference), $THREADS threads, batch $BATCH"
ratios=()
for r in $(seq "$ROUNDS"); do
  torch=$(/usr/bin/python3 bench/imagenet/torch_speed.py --out $OUT --batch "$BATCH" --threads "$THREADS" | sed -n 's/^torch img\/s: \([0-9.]*\).*/\1/p')
  tool=$($TOOL bench-decode --teacher $OUT/resnet18.onnx --dataset npy:$OUT/decoded-224.npy --batch "$BATCH" \
    --threads "$THREADS" --repeats 1 2>/dev/null | sed -n 's/^precompute-logits (median): .*(\([0-9.,]*\) img\/s)/\1/p' | tr -d ,)
  ratio=$(/usr/bin/python3 -c "print(f'{$tool / $torch:.3f}')")
  ratios+=("$ratio")
  echo "  round $r: PyTorch $torch img/s, precompute-logits $tool img/s, ratio $ratio"
done
echo "ratio precompute-logits / PyTorch (median of ${#ratios[@]} rounds): $(printf '%s\n' "${ratios[@]}" | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}')  (goal >= 1.0)"

echo "== (b) JPEG folder: tool wall time vs decode-only pass + bare ONNX Runtime loop"
$TOOL bench-decode --teacher $OUT/resnet18.onnx --dataset folder:$OUT/jpeg --batch "$BATCH" --threads "$THREADS" \
  --repeats "$ROUNDS" --limit "$JPEGS"
