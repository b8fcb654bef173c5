#!/usr/bin/env bash
# Prepares, in the git-ignored folder .gpu/, a run on the GPU machine with the CUDA package build (-p:UseCuda=true):
#   .gpu/dotnet.tar.xz  the .NET runtime of this machine's SDK (~26 MB; the GPU machine has no .NET)
#   .gpu/app/           precompute-logits (CUDA build: ONNX Runtime 1.31.0, CUDA 13) and train-student, published
#                       framework-dependent, without the native libraries the GPU machine has (libtorch) or that
#                       travel in .gpu/ort-pkg
#   .gpu/ort-pkg/       the package's libonnxruntime.so and its CUDA provider with only the kernels of one GPU
#                       generation kept (fatbin_keep_arch.py), xz-compressed: ~59 MiB, one transfer
# Run from the project root: bash bench/gpu/prepare-package.sh [SM]  (SM: compute capability, 90 = H100/H200)
set -euo pipefail
sm=${1:-90}
mkdir -p .gpu/ort-pkg
if [ ! -f .gpu/dotnet.tar.xz ]; then
  root="$(dirname "$(readlink -f "$(command -v dotnet)")")"
  tar cJf .gpu/dotnet.tar.xz -C "$root" shared/Microsoft.NETCore.App host dotnet
fi
rm -rf .gpu/app
for t in precompute-logits train-student; do
  dotnet publish tools/$t -c Release -r linux-x64 --self-contained false -p:UseCuda=true -o .gpu/app -nologo -v q -clp:ErrorsOnly
done
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
/usr/bin/python3 bench/gpu/fatbin_keep_arch.py .gpu/app/libonnxruntime_providers_cuda.so "$tmp/cuda.so" "$sm"
xz -6 -T2 -c "$tmp/cuda.so" > .gpu/ort-pkg/libonnxruntime_providers_cuda.so.xz
xz -6 -T2 -c .gpu/app/libonnxruntime.so > .gpu/ort-pkg/libonnxruntime.so.xz
cp .gpu/app/libonnxruntime_providers_shared.so .gpu/ort-pkg/
# ONNX Runtime is loaded from /tmp/ort (LD_LIBRARY_PATH, bench/gpu/gpu-env.sh), libtorch from the machine's PyTorch;
# TensorRT's provider is not used.
rm -f .gpu/app/libonnxruntime*.so .gpu/app/libtorch*.so .gpu/app/libc10.so .gpu/app/libgomp-*.so.1
du -sh .gpu/dotnet.tar.xz .gpu/app .gpu/ort-pkg
