#!/usr/bin/python3
"""Forward+backward timings of the seed losses (../shared/seeds) in PyTorch, 2 threads, float32.

The loss code below is the seeds' code, unchanged in substance: seed 004's KLDivLoss(batchmean)·T² (kd),
seed 000's mdistiller dkd_loss (dkd), seed 001's DIST (dist). Prints one JSON object per line:
{"impl": "pytorch", "loss": ..., "B": ..., "C": ..., "us": median microseconds per forward+backward}.
Usage: /usr/bin/python3 bench/losses/seed_losses.py [--iters N] [--repeats R]
"""
import argparse, json, statistics, time, warnings

import torch
import torch.nn as nn
import torch.nn.functional as F

warnings.filterwarnings("ignore")  # size_average is deprecated; the seed uses it


# ---- seed 004: Hinton KD ----
soft_loss = nn.KLDivLoss(reduction="batchmean")


def kd_loss(student_preds, teacher_preds, labels, temp=4.0):
    return soft_loss(F.log_softmax(student_preds / temp, dim=1), F.softmax(teacher_preds / temp, dim=1)) * temp * temp


# ---- seed 000: DKD (mdistiller) ----
def _get_gt_mask(logits, target):
    target = target.reshape(-1)
    return torch.zeros_like(logits).scatter_(1, target.unsqueeze(1), 1).bool()


def _get_other_mask(logits, target):
    target = target.reshape(-1)
    return torch.ones_like(logits).scatter_(1, target.unsqueeze(1), 0).bool()


def cat_mask(t, mask1, mask2):
    t1 = (t * mask1).sum(dim=1, keepdims=True)
    t2 = (t * mask2).sum(1, keepdims=True)
    return torch.cat([t1, t2], dim=1)


def dkd_loss(logits_student, logits_teacher, target, alpha=1.0, beta=8.0, temperature=4.0):
    gt_mask = _get_gt_mask(logits_student, target)
    other_mask = _get_other_mask(logits_student, target)
    pred_student = F.softmax(logits_student / temperature, dim=1)
    pred_teacher = F.softmax(logits_teacher / temperature, dim=1)
    pred_student = cat_mask(pred_student, gt_mask, other_mask)
    pred_teacher = cat_mask(pred_teacher, gt_mask, other_mask)
    log_pred_student = torch.log(pred_student)
    tckd_loss = F.kl_div(log_pred_student, pred_teacher, size_average=False) * (temperature ** 2) / target.shape[0]
    pred_teacher_part2 = F.softmax(logits_teacher / temperature - 1000.0 * gt_mask, dim=1)
    log_pred_student_part2 = F.log_softmax(logits_student / temperature - 1000.0 * gt_mask, dim=1)
    nckd_loss = F.kl_div(log_pred_student_part2, pred_teacher_part2, size_average=False) * (temperature ** 2) / target.shape[0]
    return alpha * tckd_loss + beta * nckd_loss


# ---- seed 001: DIST ----
def cosine_similarity(a, b, eps=1e-8):
    return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)


def pearson_correlation(a, b, eps=1e-8):
    return cosine_similarity(a - a.mean(1).unsqueeze(1), b - b.mean(1).unsqueeze(1), eps)


def inter_class_relation(soft_student_outputs, soft_teacher_outputs):
    return 1 - pearson_correlation(soft_student_outputs, soft_teacher_outputs).mean()


def intra_class_relation(soft_student_outputs, soft_teacher_outputs):
    return inter_class_relation(soft_student_outputs.transpose(0, 1), soft_teacher_outputs.transpose(0, 1))


class DIST(nn.Module):
    def __init__(self, beta=1.0, gamma=1.0, temp=1.0):
        super(DIST, self).__init__()
        self.beta = beta
        self.gamma = gamma
        self.temp = temp

    def forward(self, student_preds, teacher_preds, **kwargs):
        soft_student_outputs = (student_preds / self.temp).softmax(dim=1)
        soft_teacher_outputs = (teacher_preds / self.temp).softmax(dim=1)
        inter_loss = self.temp ** 2 * inter_class_relation(soft_student_outputs, soft_teacher_outputs)
        intra_loss = self.temp ** 2 * intra_class_relation(soft_student_outputs, soft_teacher_outputs)
        return self.beta * inter_loss + self.gamma * intra_loss


dist_module = DIST(beta=2.0, gamma=2.0, temp=4.0)
LOSSES = {
    "kd": kd_loss,
    "dkd": dkd_loss,
    "dist": lambda s, t, y: dist_module(s, t),
}


def bench(fn, s, t, y, iters, repeats):
    for _ in range(max(20, iters // 5)):  # warm-up
        fn(s, t, y).backward()
    samples = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(iters):
            fn(s, t, y).backward()
        samples.append((time.perf_counter() - start) / iters * 1e6)
    return statistics.median(samples), min(samples)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--iters", type=int, default=300)
    ap.add_argument("--repeats", type=int, default=7)
    ap.add_argument("--threads", type=int, default=2)
    args = ap.parse_args()
    torch.set_num_threads(args.threads)
    for (b, c) in [(128, 10), (256, 1000)]:
        g = torch.Generator().manual_seed(b * 7 + c)
        s = (torch.randn(b, c, generator=g) * 3).requires_grad_(True)
        t = torch.randn(b, c, generator=g) * 3
        y = torch.randint(0, c, (b,), generator=g)
        for name, fn in LOSSES.items():
            iters = args.iters if c <= 100 else max(50, args.iters // 3)
            med, best = bench(fn, s, t, y, iters, args.repeats)
            print(json.dumps({"impl": "pytorch", "torch": torch.__version__, "loss": name, "B": b, "C": c,
                              "us": round(med, 2), "us_min": round(best, 2)}), flush=True)


if __name__ == "__main__":
    main()
