#!/usr/bin/python3
"""PyTorch's values for the reference recipes' objectives (RecipeTests): the weighted terms, their total and its
gradient w.r.t. the student logits, in float64, for one batch of 16 × 10 logits. The losses are the seeds' PyTorch
code: KD (Hinton et al. 2015; KLDivLoss(batchmean)·T²), DKD (Zhao et al., CVPR 2022; mdistiller's dkd_loss),
DIST (Huang et al., NeurIPS 2022; both terms × τ²), CE with PyTorch's label_smoothing. Run with Debian's PyTorch 1.13:
    /usr/bin/python3 tests/Distill.Student.Tests/golden/make_recipes.py
It writes recipes.json beside itself; the output is committed and rerunning gives the same file."""
import json, os
import torch
import torch.nn.functional as F

torch.set_default_dtype(torch.float64)
g = torch.Generator().manual_seed(3)
B, C = 16, 10
student = torch.randn(B, C, generator=g) * 2
teacher = torch.randn(B, C, generator=g) * 2
labels = torch.randint(0, C, (B,), generator=g)


def kd(s, t, T):  # seed 004
    return F.kl_div(F.log_softmax(s / T, dim=1), F.softmax(t / T, dim=1), reduction="batchmean") * T * T


def dkd(s, t, y, alpha, beta, T):  # seed 000 (mdistiller), without its warmup factor
    gt = torch.zeros_like(s).scatter_(1, y.unsqueeze(1), 1).bool()
    other = torch.ones_like(s).scatter_(1, y.unsqueeze(1), 0).bool()
    def cat_mask(p):
        return torch.cat([(p * gt).sum(1, keepdim=True), (p * other).sum(1, keepdim=True)], dim=1)
    ps, pt = cat_mask(F.softmax(s / T, dim=1)), cat_mask(F.softmax(t / T, dim=1))
    tckd = F.kl_div(torch.log(ps), pt, reduction="sum") * T ** 2 / y.shape[0]
    pt2 = F.softmax(t / T - 1000.0 * gt, dim=1)
    ls2 = F.log_softmax(s / T - 1000.0 * gt, dim=1)
    nckd = F.kl_div(ls2, pt2, reduction="sum") * T ** 2 / y.shape[0]
    return alpha * tckd + beta * nckd


def dist(s, t, beta, gamma, tau, eps=1e-8):  # seed 001
    def pearson(a, b):
        a = a - a.mean(1, keepdim=True); b = b - b.mean(1, keepdim=True)
        return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + eps)
    ps, pt = (s / tau).softmax(dim=1), (t / tau).softmax(dim=1)
    inter = tau ** 2 * (1 - pearson(ps, pt).mean())
    intra = tau ** 2 * (1 - pearson(ps.t(), pt.t()).mean())
    return beta * inter + gamma * intra


def case(name, epoch, terms, **extra):
    s = student.clone().requires_grad_(True)
    parts = {k: w * f(s) for k, (w, f) in terms.items()}
    total = sum(parts.values())
    total.backward()
    return dict(name=name, epoch=epoch, parts={k: v.item() for k, v in parts.items()}, total=total.item(),
                grad_student=s.grad.flatten().tolist(), **extra)


ce = lambda s: F.cross_entropy(s, labels)
cases = [
    # recipes/fmnist *.kd.json: 0.1 CE + 0.9 KD (T = 4)
    case("kd", 1, {"ce": (0.1, ce), "kd": (0.9, lambda s: kd(s, teacher, 4.0))}),
    # *.dkd.json: 1.0 CE + min(epoch / 5, 1) · DKD (α = 1, β = 8, T = 4): epoch 2 → 0.4, epoch 7 → 1
    case("dkd", 2, {"ce": (1.0, ce), "dkd": (0.4, lambda s: dkd(s, teacher, labels, 1.0, 8.0, 4.0))}),
    case("dkd", 7, {"ce": (1.0, ce), "dkd": (1.0, lambda s: dkd(s, teacher, labels, 1.0, 8.0, 4.0))}),
    # *.dist_t4.json: 1.0 CE + DIST (β = 2, γ = 2, τ = 4)
    case("dist", 1, {"ce": (1.0, ce), "dist": (1.0, lambda s: dist(s, teacher, 2.0, 2.0, 4.0))}),
    # ce alone with label smoothing 0.1
    case("ce", 1, {"ce": (1.0, lambda s: F.cross_entropy(s, labels, label_smoothing=0.1))}, label_smoothing=0.1),
]
out = {"note": f"PyTorch {torch.__version__} float64 values of the reference recipes' objectives (make_recipes.py)",
       "B": B, "C": C, "student": student.flatten().tolist(), "teacher": teacher.flatten().tolist(),
       "labels": labels.tolist(), "cases": cases}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "recipes.json"), "w") as f:
    json.dump(out, f)
