# Sourced on the GPU machine (bench/gpu/README.md): .NET from /tmp/dn, ONNX Runtime for CUDA from /tmp/ort (1.31.0 from
# the CUDA package, or 1.29 with its managed assembly swapped in), libtorch and CUDA libraries from the machine's
# PyTorch venv, our published tools in /tmp/app.
export DOTNET_ROOT=/tmp/dn PATH=/tmp/dn:$PATH DOTNET_CLI_TELEMETRY_OPTOUT=1 DOTNET_NOLOGO=1
TL=/opt/torch/.venv/lib/python3.12/site-packages/torch/lib
NV=/opt/torch/.venv/lib/python3.12/site-packages/nvidia
export LD_LIBRARY_PATH=/tmp/ort:$TL:$NV/cudnn/lib:$NV/cu13/lib:$NV/nccl/lib:$NV/cusparselt/lib:$NV/nvshmem/lib
PY=/opt/torch/.venv/bin/python
if [ -d .gpu/app ] && [ ! -f /tmp/app/precompute-logits.dll ]; then mkdir -p /tmp/app && cp -r .gpu/app/. /tmp/app/; fi
[ -f /tmp/ort/Microsoft.ML.OnnxRuntime.dll ] && cp /tmp/ort/Microsoft.ML.OnnxRuntime.dll /tmp/app/
PRE="dotnet /tmp/app/precompute-logits.dll"
TRAIN="dotnet /tmp/app/train-student.dll"
TEACHER=models/fmnist-resnet/fmnist-resnet.onnx
DATA=idx:/tmp/data
export NVIDIA_TF32_OVERRIDE=0  # full fp32 in cuDNN/cuBLAS whatever the provider options (CUDA caches must match CPU ones)
