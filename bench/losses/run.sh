#!/usr/bin/env bash
# Forward+backward timings of kd, dkd and dist, ours (TorchSharp, bench/LossBench) against the seeds' PyTorch code
# (Debian's PyTorch at /usr/bin/python3, bench/losses/seed_losses.py), both float32 with 2 threads, in the same run.
# The two alternate for ROUNDS rounds (the machine is shared and noisy); each side keeps its fastest timed block per
# shape (and its best per-round median, in brackets) and the table prints ours ÷ PyTorch. Goals: kd ≤ 1.0, dist ≤ 1.0, dkd ≤ 0.5 (vs the seed's DKD).
# Usage: bench/losses/run.sh [ROUNDS] [ITERS]      (defaults 3, 300)
set -euo pipefail
cd "$(dirname "$0")/../.."
rounds=${1:-3}
iters=${2:-300}
# libgomp's idle workers spin by default; with 2 threads on a busy 2-core machine that costs milliseconds per small
# op in libtorch 2.10's parallel kernels. Both sides run with the same setting.
export OMP_WAIT_POLICY=${OMP_WAIT_POLICY:-PASSIVE}
dotnet build bench/LossBench -c Release -v q -nologo >/dev/null
out=$(mktemp)
for r in $(seq "$rounds"); do
  /usr/bin/python3 bench/losses/seed_losses.py --iters "$iters" --repeats 5 --threads 2 >>"$out"
  dotnet bench/LossBench/bin/Release/net10.0/LossBench.dll --iters "$iters" --repeats 5 --threads 2 >>"$out"
done
/usr/bin/python3 - "$out" "$rounds" <<'PY'
import json, sys, os
rows = [json.loads(l) for l in open(sys.argv[1]) if l.startswith("{")]
best, med = {}, {}
for r in rows:
    k = (r["impl"], r["loss"], r["B"], r["C"])
    best[k] = min(best.get(k, float("inf")), r["us_min"])   # fastest timed block over all rounds
    med[k] = min(med.get(k, float("inf")), r["us"])         # best per-round median

goal = {"kd": 1.0, "dkd": 0.5, "dist": 1.0}
torch_version = next((r.get("torch") for r in rows if r["impl"] == "pytorch"), "?")
print(f"float32, 2 threads, OMP_WAIT_POLICY={os.environ.get('OMP_WAIT_POLICY')}, {sys.argv[2]} alternating rounds, "
      f"fastest block per side (median-based ratio in brackets); PyTorch {torch_version} (seed code) vs TorchSharp 0.107 (libtorch 2.10)")
print(f"{'loss':5} {'B x C':>10} {'PyTorch us':>11} {'ours us':>9} {'ratio':>6} {'(median)':>9} {'goal':>5}  ok")
for loss in ["kd", "dkd", "dist"]:
    for (b, c) in [(128, 10), (256, 1000)]:
        p, o = best.get(("pytorch", loss, b, c)), best.get(("torchsharp", loss, b, c))
        if p is None or o is None:
            print(f"{loss:5} {f'{b}x{c}':>10} missing"); continue
        ratio = o / p
        mratio = med[("torchsharp", loss, b, c)] / med[("pytorch", loss, b, c)]
        print(f"{loss:5} {f'{b}x{c}':>10} {p:11.1f} {o:9.1f} {ratio:6.2f} {f'({mratio:.2f})':>9} {goal[loss]:5.1f}  {'yes' if ratio <= goal[loss] else 'NO'}")
PY
rm -f "$out"
