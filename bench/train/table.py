#!/usr/bin/python3
"""Prints the reproduction table: our mean final test accuracy over seeds vs the PyTorch reference mean.
Usage: table.py RUNS_DIR REFERENCE_JSON  (runs named STUDENT.LOSS.seedN/summary.json)."""
import glob, json, os, statistics, sys

runs, ref_path = sys.argv[1], sys.argv[2]
ref = json.load(open(ref_path))["table"]
ours = {}
for path in sorted(glob.glob(os.path.join(runs, "*.seed*", "summary.json"))):
    student, loss, _ = os.path.basename(os.path.dirname(path)).rsplit(".", 2)
    s = json.load(open(path))
    ours.setdefault((student, loss), []).append((s["final_test_acc"], s["epochs"]))
print("| student | loss | seeds | epochs | ours mean | ours std | PyTorch mean | diff (pp) | within 0.5 pp |")
print("|---|---|---|---|---|---|---|---|---|")
worst = 0.0
for (student, loss), vals in ours.items():
    accs = [a for a, _ in vals]
    mean = statistics.mean(accs)
    std = statistics.stdev(accs) if len(accs) > 1 else 0.0
    r = ref.get(student, {}).get(loss)
    if r:
        diff = (mean - r["mean"]) * 100
        worst = max(worst, abs(diff))
        ok = "yes" if abs(diff) <= 0.5 else "NO"
        print(f"| {student} | {loss} | {len(accs)} | {vals[0][1]} | {mean:.4f} | {std:.4f} | {r['mean']:.4f} | {diff:+.2f} | {ok} |")
    else:
        print(f"| {student} | {loss} | {len(accs)} | {vals[0][1]} | {mean:.4f} | {std:.4f} | - | - | - |")
print(f"\nlargest |diff|: {worst:.2f} pp")
