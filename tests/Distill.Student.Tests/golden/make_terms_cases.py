#!/usr/bin/python3
"""Golden cases for the terms redesign (issue 13): feature losses, logit standardization and adapters, computed with
Debian's PyTorch 1.13 (float64) from the papers' own code. Writes terms.json in the schema of losses.json plus:
  "teacher_shape" (when it differs from "shape"), "adapter" ("linear" | "conv") with "adapter_state" (state_dict
  name -> flat values), "grad_student" = d value / d student (before the adapter).
Run: /usr/bin/python3 tests/Distill.Student.Tests/golden/make_terms_cases.py  (deterministic; seed 13)"""
import json, os
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.manual_seed(13)
torch.set_num_threads(2)
D = torch.float64


def normalize(logit):  # Sun et al. 2024, logit standardization: the authors' normalize()
    mean = logit.mean(dim=-1, keepdims=True)
    stdv = logit.std(dim=-1, keepdims=True)
    return (logit - mean) / (1e-7 + stdv)


def kd(s, t, T, stand):  # the authors' kd_loss
    s = normalize(s) if stand else s
    t = normalize(t) if stand else t
    return F.kl_div(F.log_softmax(s / T, dim=1), F.softmax(t / T, dim=1), reduction="none").sum(1).mean() * T ** 2


def dkd(s, t, y, alpha, beta, T, stand):  # mdistiller's dkd_loss (with the authors' logit_stand)
    s = normalize(s) if stand else s
    t = normalize(t) if stand else t
    gt = torch.zeros_like(s).scatter_(1, y.unsqueeze(1), 1).bool()
    other = ~gt
    ps, pt = F.softmax(s / T, dim=1), F.softmax(t / T, dim=1)
    cat = lambda p: torch.cat([(p * gt).sum(1, keepdims=True), (p * other).sum(1, keepdims=True)], dim=1)
    ps_b, pt_b = cat(ps), cat(pt)
    tckd = F.kl_div(torch.log(ps_b), pt_b, reduction="sum") * T ** 2 / s.shape[0]
    pt2 = F.softmax(t / T - 1000.0 * gt, dim=1)
    log_ps2 = F.log_softmax(s / T - 1000.0 * gt, dim=1)
    nckd = F.kl_div(log_ps2, pt2, reduction="sum") * T ** 2 / s.shape[0]
    return alpha * tckd + beta * nckd


def dist(s, t, beta, gamma, T, stand):  # seed 001's DIST
    s = normalize(s) if stand else s
    t = normalize(t) if stand else t
    cos = lambda a, b: (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + 1e-8)
    pear = lambda a, b: cos(a - a.mean(1).unsqueeze(1), b - b.mean(1).unsqueeze(1))
    ps, pt = (s / T).softmax(dim=1), (t / T).softmax(dim=1)
    inter = 1 - pear(ps, pt).mean()
    intra = 1 - pear(ps.transpose(0, 1), pt.transpose(0, 1)).mean()
    return T ** 2 * (beta * inter + gamma * intra)


def at_map(f, p):  # Zagoruyko & Komodakis / mdistiller: F.normalize(f.pow(p).mean(1).view(B, -1))
    return F.normalize(f.pow(p).mean(1).reshape(f.size(0), -1))


def at(s, t, p):
    sh, th = s.shape[2], t.shape[2]
    if sh > th:
        s = F.adaptive_avg_pool2d(s, (th, th))
    elif th > sh:
        t = F.adaptive_avg_pool2d(t, (sh, sh))
    return (at_map(s, p) - at_map(t, p)).pow(2).mean()


def flat(x):
    return [float(v) for v in x.detach().reshape(-1)]


cases = []


def add(loss, params, s, t, fn, labels=None, adapter=None):
    s = s.clone().requires_grad_(True)
    x = s
    state = None
    if adapter is not None:
        x = adapter(s)
        state = {k: flat(v) for k, v in adapter.state_dict().items() if not k.endswith("num_batches_tracked")}
    value = fn(x, t)
    value.backward()
    c = {"loss": loss, "params": params, "shape": list(s.shape), "student": flat(s), "teacher": flat(t),
         "value": float(value), "grad_student": flat(s.grad)}
    if list(t.shape) != list(s.shape):
        c["teacher_shape"] = list(t.shape)
    if labels is not None:
        c["labels"] = [int(v) for v in labels]
    if adapter is not None:
        c["adapter"] = "linear" if isinstance(adapter, nn.Linear) else "conv"
        c["adapter_state"] = state
    cases.append(c)


r = lambda *shape: torch.randn(*shape, dtype=D)
# Feature losses, vectors and maps.
for shape in [(6, 5), (4, 3, 4, 4)]:
    add("hint_mse", {}, r(*shape), r(*shape), lambda s, t: F.mse_loss(s, t))
    add("hint_cosine", {}, r(*shape) * 2, r(*shape), lambda s, t: (1 - F.cosine_similarity(s.flatten(1), t.flatten(1), dim=1, eps=1e-8)).mean())
    add("hint_smooth_l1", {"beta": 0.5}, r(*shape) * 2, r(*shape), lambda s, t: F.smooth_l1_loss(s, t, beta=0.5))
add("hint_smooth_l1", {}, r(6, 5) * 3, r(6, 5), lambda s, t: F.smooth_l1_loss(s, t, beta=1.0))
add("at", {}, r(4, 3, 5, 5), r(4, 6, 5, 5), lambda s, t: at(s, t, 2.0))
add("at", {"p": 2}, r(3, 4, 8, 8), r(3, 2, 4, 4), lambda s, t: at(s, t, 2.0))
add("at", {"p": 4}, r(3, 2, 4, 4), r(3, 5, 4, 4), lambda s, t: at(s, t, 4.0))
# Logit standardization (and the plain losses next to it).
for T in (1.0, 2.0, 4.0):
    s, t = r(8, 10) * 3, r(8, 10) * 5 + 2
    y = torch.randint(0, 10, (8,))
    add("kd", {"T": T, "standardize": True}, s, t, lambda s, t: kd(s, t, T, True))
    add("dkd", {"T": T, "alpha": 1.0, "beta": 8.0, "standardize": True}, s, t, lambda s, t: dkd(s, t, y, 1.0, 8.0, T, True), labels=y)
    add("dist", {"T": T, "beta": 2.0, "gamma": 2.0, "standardize": True}, s, t, lambda s, t: dist(s, t, 2.0, 2.0, T, True))
add("kd", {"T": 4.0, "standardize": False}, r(8, 10), r(8, 10), lambda s, t: kd(s, t, 4.0, False))
# Adapters with given weights: linear [D] -> [D'], 1x1 conv + BN (training mode: batch statistics), with pooling.
lin = nn.Linear(7, 4).double()
add("hint_mse", {}, r(5, 7), r(5, 4), lambda s, t: F.mse_loss(s, t), adapter=lin)
add("hint_cosine", {}, r(5, 7), r(5, 4), lambda s, t: (1 - F.cosine_similarity(s, t, dim=1, eps=1e-8)).mean(), adapter=lin)


class ConvAdapter(nn.Module):  # ours: adaptive_avg_pool2d to the teacher's H x W when it differs, 1x1 conv (no bias), BN
    def __init__(self, cs, ct, pool=None):
        super().__init__()
        self.conv = nn.Conv2d(cs, ct, 1, bias=False)
        self.bn = nn.BatchNorm2d(ct)
        self.pool = pool
        with torch.no_grad():
            self.bn.weight.uniform_(0.5, 1.5)
            self.bn.bias.uniform_(-0.5, 0.5)

    def forward(self, x):
        if self.pool is not None:
            x = F.adaptive_avg_pool2d(x, self.pool)
        return self.bn(self.conv(x))


add("hint_mse", {}, r(4, 3, 6, 6), r(4, 5, 6, 6), lambda s, t: F.mse_loss(s, t), adapter=ConvAdapter(3, 5).double().train())
add("hint_smooth_l1", {}, r(4, 3, 8, 8), r(4, 2, 4, 4), lambda s, t: F.smooth_l1_loss(s, t), adapter=ConvAdapter(3, 2, (4, 4)).double().train())

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "terms.json")
with open(out, "w") as f:
    json.dump({"note": f"PyTorch {torch.__version__}, float64, generated by make_terms_cases.py (seed 13)", "cases": cases}, f)
print(f"{len(cases)} cases -> {out}")
