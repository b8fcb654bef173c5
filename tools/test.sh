#!/usr/bin/env bash
# Runs every test project; the last line is "tests: N passed, N failed, N skipped".
set -uo pipefail
cd "$(dirname "$0")/.."
bash tools/ensure-data.sh || exit 1
log=$(mktemp)
dotnet test Pipeline.sln -c Release 2>&1 | tee "$log"
rc=${PIPESTATUS[0]}
# Sum the per-assembly "Passed!/Failed! - Failed: a, Passed: b, Skipped: c" lines into one plain closing line.
awk -F'[:,]' '/(Passed|Failed)! +- +Failed:/ { f += $2; p += $4; s += $6 } END { printf "tests: %d passed, %d failed, %d skipped\n", p, f, s }' "$log"
rm -f "$log"
exit $rc
