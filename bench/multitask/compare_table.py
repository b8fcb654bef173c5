#!/usr/bin/python3
"""The table of bench/multitask/compare.sh from its compare.jsonl: per recipe and side (train-student, PyTorch) the
test mIoU and mAP@0.5 of each seed and their mean, the teacher's, and |ours − PyTorch| of the means in percentage
points against the 1 pp of issue 14's acceptance 3. Exit code 1 when a difference exceeds it."""
import json
import sys

rows = [json.loads(line) for line in open(sys.argv[1]) if line.strip()]
mean = lambda v: sum(v) / len(v)
teacher = rows[0]
print(f"teacher (fmnist-scenes, from the test cache): mIoU {teacher['teacher_test_miou']:.4f}  mAP@0.5 {teacher['teacher_test_map50']:.4f}")
# Both sides score the same cached teacher outputs (ours from the cache, PyTorch's from the .npy dump with
# scenes_metrics.py): equal values check the dump and the two metric implementations against each other.
spread = max(abs(r[k] - teacher[k]) for r in rows for k in ("teacher_test_miou", "teacher_test_map50"))
print(f"teacher's metrics, train-student vs PyTorch side: max |difference| {spread:.1e}")
print(f"{'recipe':8} {'side':6} {'seeds':>8}  {'mIoU per seed':<24} {'mean':>7}  {'mAP@0.5 per seed':<24} {'mean':>7}")
ok = True
for recipe in ("distill", "labels"):
    means = {}
    for side in ("ours", "torch"):
        r = [x for x in rows if x["recipe"] == recipe and x["side"] == side]
        if not r:
            continue
        miou, ap = [x["final_test_miou"] for x in r], [x["final_test_map50"] for x in r]
        means[side] = (mean(miou), mean(ap))
        print(f"{recipe:8} {side:6} {','.join(str(x['seed']) for x in r):>8}  {' '.join(f'{v:.4f}' for v in miou):<24} "
              f"{mean(miou):7.4f}  {' '.join(f'{v:.4f}' for v in ap):<24} {mean(ap):7.4f}")
    if len(means) == 2:
        d_miou, d_map = (abs(means["ours"][k] - means["torch"][k]) * 100 for k in (0, 1))
        within = d_miou <= 1 and d_map <= 1
        ok &= within
        print(f"{recipe:8} |ours - torch| of the means: mIoU {d_miou:.2f} pp, mAP {d_map:.2f} pp -> {'within' if within else 'NOT within'} 1 pp")
sys.exit(0 if ok and spread < 1e-6 else 1)
