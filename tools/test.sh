#!/usr/bin/env bash
# Runs every test project; the last line is "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/ensure-data.sh || exit 1
log=$(mktemp)
dotnet test Pipeline.sln -c Release 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# The README's ML.NET sample (samples/mlnet), small: the teacher cached over 2,000 training images by the
# PrecomputeTeacherLogits transform, 2 epochs of kd, Evaluate, Save, Load; then its model reloaded by a new process.
sample=$(mktemp -d)
dotnet samples/mlnet/bin/Release/net10.0/mlnet-sample.dll --cache "$sample/cache" --model "$sample/model.zip" --limit 2000 --epochs 2 --threads 2 \
  && dotnet samples/mlnet/bin/Release/net10.0/mlnet-sample.dll predict "$sample/model.zip" || { echo "samples/mlnet failed"; rc=1; }
rm -rf "$sample"
# Sum the per-assembly "Passed!/Failed! - Failed: a, Passed: b, Skipped: c" lines into one plain closing line.
awk -F'[:,]' '/(Passed|Failed)! +- +Failed:/ { f += $2; p += $4; s += $6 } END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit $rc
