#!/usr/bin/env bash
# CI check of the CUDA build of the teacher side (-p:UseCuda=true: Microsoft.ML.OnnxRuntime.Gpu.Linux 1.31.0, built
# for CUDA 13): it restores (~540 MB into the NuGet cache on the first run) and compiles into bin-cuda/ and obj-cuda/,
# leaving the CPU build's bin/ and obj/ alone, and it runs on a machine without a GPU: --device auto caches on the CPU
# after at most one warning line, --device cuda either works or fails with one error line.
set -uo pipefail
cd "$(dirname "$0")/.."
start=$(date +%s)
if ! dotnet build tools/precompute-logits -c Release -p:UseCuda=true -nologo -v q -clp:ErrorsOnly; then
    echo "cuda build: FAILED (restore or compile of tools/precompute-logits with -p:UseCuda=true)"; exit 1
fi
echo "cuda build: restored and compiled in $(( $(date +%s) - start )) s"
tool=(dotnet tools/precompute-logits/bin-cuda/Release/net10.0/precompute-logits.dll)
fixtures=tests/Distill.Teacher.Tests/fixtures
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
run=(--teacher "$fixtures/names-x-linear.onnx" --dataset "idx:$fixtures/tiny-idx" --split test --threads 1)
fail() { echo "cuda build: FAILED ($1)"; sed 's/^/  | /' "$tmp/err"; exit 1; }

"${tool[@]}" "${run[@]}" --device auto --out "$tmp/auto" > "$tmp/out" 2> "$tmp/err" || fail "--device auto exited $?"
[ "$(wc -l < "$tmp/err")" -le 1 ] || fail "--device auto wrote more than one line to stderr"
"${tool[@]}" inspect "$tmp/auto" > "$tmp/inspect" 2> "$tmp/err" || fail "inspect of the --device auto cache exited $?"
grep -q '^onnxruntime: *1\.31\.0;' "$tmp/inspect" || fail "the cache was not made by ONNX Runtime 1.31.0: $(grep onnxruntime "$tmp/inspect")"

"${tool[@]}" "${run[@]}" --device cuda --out "$tmp/cuda" > "$tmp/out" 2> "$tmp/err"
code=$?
if [ $code -ne 0 ]; then
    [ $code -eq 1 ] && [ "$(wc -l < "$tmp/err")" -eq 1 ] && grep -q '^error: --device cuda:0: ' "$tmp/err" \
        || fail "--device cuda without CUDA should fail with one error line (exit $code)"
    echo "cuda build: runs on the CPU; --device cuda says: $(cat "$tmp/err")"
else
    echo "cuda build: --device cuda ran on a GPU"
fi
