#!/usr/bin/env bash
# Runs every test project, the ML.NET and library samples, the packed-library check and the CUDA build check; the last line is
# "tests: N passed, N failed, N skipped" (each check beyond the test projects counts as one test).
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/ensure-data.sh || exit 1
log=$(mktemp)
dotnet test Pipeline.sln -c Release 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
checks=0; failed_checks=0
check() {   # check NAME COMMAND...: one more test in the closing line
  checks=$((checks + 1))
  "${@:2}" || { echo "check failed: $1"; failed_checks=$((failed_checks + 1)); rc=1; }
}
# The README's ML.NET sample (samples/mlnet), small: the teacher cached over 2,000 training images by the
# PrecomputeTeacherLogits transform, 2 epochs of kd, Evaluate, Save, Load; then its model reloaded by a new process.
sample=$(mktemp -d)
mlnet_sample() {
  dotnet samples/mlnet/bin/Release/net10.0/mlnet-sample.dll --cache "$sample/cache" --model "$sample/model.zip" --limit 2000 --epochs 2 --threads 2 \
    && dotnet samples/mlnet/bin/Release/net10.0/mlnet-sample.dll predict "$sample/model.zip"
}
check "samples/mlnet" mlnet_sample
# The library sample (samples/student): a 2,000-image cache made by precompute-logits, then one epoch of its own
# TorchSharp module and loss, kept with student.onnx.
student_sample() {
  # No test project references the sample, so `dotnet test` does not build it: build it here, from a clean clone too.
  dotnet build samples/student -c Release -nologo -v q -clp:ErrorsOnly >/dev/null \
    && dotnet tools/precompute-logits/bin/Release/net10.0/precompute-logits.dll --teacher models/fmnist-resnet/fmnist-resnet.onnx \
      --dataset fashion-mnist --split train --limit 2000 --out "$sample/student-cache" --device cpu --threads 2 >/dev/null \
    && dotnet samples/student/bin/Release/net10.0/student-sample.dll --cache "$sample/student-cache" --out "$sample/student-run" --epochs 1 \
    && test -s "$sample/student-run/student.onnx"
}
check "samples/student" student_sample
# A packed library installed into a new console project from a local folder source (tools/pack-check.sh).
check "packed library in a new project" bash tools/pack-check.sh
rm -rf "$sample"
# The CUDA build of the teacher side restores, compiles (into bin-cuda/, obj-cuda/) and runs on the CPU.
check "CUDA build of the teacher side" bash tools/cuda-build-check.sh
# Sum the per-assembly "Passed!/Failed! - Failed: a, Passed: b, Skipped: c" lines into one plain closing line.
awk -F'[:,]' -v n=$checks -v nf=$failed_checks '/(Passed|Failed)! +- +Failed:/ { f += $2; p += $4; s += $6 }
    END { printf "tests: %d passed, %d failed, %d skipped\n", p + n - nf, f + nf, s }' "$log"
rm -f "$log"
exit $rc
