#!/usr/bin/env bash
# Runs every test project and the CUDA build check; the last line is "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/ensure-data.sh || exit 1
log=$(mktemp)
dotnet test Pipeline.sln -c Release 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# The CUDA build of the teacher side restores, compiles (into bin-cuda/, obj-cuda/) and runs on the CPU; it counts
# as one test in the closing line.
cuda_failed=0
bash tools/cuda-build-check.sh || { cuda_failed=1; rc=1; }
# Sum the per-assembly "Passed!/Failed! - Failed: a, Passed: b, Skipped: c" lines into one plain closing line.
awk -F'[:,]' -v cf=$cuda_failed '/(Passed|Failed)! +- +Failed:/ { f += $2; p += $4; s += $6 }
    END { printf "tests: %d passed, %d failed, %d skipped\n", p + 1 - cf, f + cf, s }' "$log"
rm -f "$log"
exit $rc
