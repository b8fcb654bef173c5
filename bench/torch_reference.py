"""The PyTorch side of our comparisons: the reference table's students and the seed formulations of its losses
(../shared/reference/fmnist-students.json recipe: kd = 0.1 CE + 0.9 KD(T=4), dkd = CE + min(epoch/5, 1)·DKD(1, 8, T=4),
dist = CE + DIST(2, 2, tau=4)). Imported by bench/train/pytorch_epoch.py and bench/gpu/torch_student.py."""
import gzip
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def fmnist(split):
    """Fashion-MNIST images [N, 1, 28, 28] preprocessed as the teacher card says, and labels (Debian's IDX files)."""
    def idx(path):
        with gzip.open(path, "rb") as f:
            data = f.read()
        rank = data[3]
        dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
        return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)
    root, name = "/usr/share/datasets/fashion-mnist/", "train" if split == "train" else "t10k"
    x = torch.from_numpy(idx(f"{root}{name}-images-idx3-ubyte.gz").astype(np.float32))
    x = ((x / 255.0 - 0.2860406) / 0.3530242).unsqueeze(1)
    return x, torch.from_numpy(idx(f"{root}{name}-labels-idx1-ubyte.gz").astype(np.int64))


def student(name):
    if name == "mlp-20-20":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 20), nn.ReLU(), nn.Linear(20, 20), nn.ReLU(), nn.Linear(20, 10))
    if name == "mlp-256-256":
        return nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 256), nn.ReLU(), nn.Linear(256, 10))
    if name == "cnn-small":
        return nn.Sequential(nn.Conv2d(1, 8, 5, padding=2), nn.ReLU(), nn.MaxPool2d(2), nn.Conv2d(8, 16, 5), nn.ReLU(),
                             nn.MaxPool2d(2), nn.Flatten(), nn.Linear(400, 10))
    raise SystemExit(f"unknown student {name}")


def kd(s, te, T=4.0):
    return F.kl_div(F.log_softmax(s / T, 1), F.softmax(te / T, 1), reduction="batchmean") * T * T


def dkd(s, te, target, alpha=1.0, beta=8.0, T=4.0):  # seed 000 / mdistiller
    gt = torch.zeros_like(s).scatter_(1, target.unsqueeze(1), 1).bool()
    ps, pt = F.softmax(s / T, 1), F.softmax(te / T, 1)
    def cat(p):
        return torch.cat([(p * gt).sum(1, keepdims=True), (p * ~gt).sum(1, keepdims=True)], 1)
    tckd = F.kl_div(torch.log(cat(ps)), cat(pt), reduction="sum") * T * T / s.shape[0]
    nckd = F.kl_div(F.log_softmax(s / T - 1000.0 * gt, 1), F.softmax(te / T - 1000.0 * gt, 1), reduction="sum") * T * T / s.shape[0]
    return alpha * tckd + beta * nckd


def dist(s, te, beta=2.0, gamma=2.0, tau=4.0):
    def pearson(a, b):
        a = a - a.mean(1, keepdim=True); b = b - b.mean(1, keepdim=True)
        return (a * b).sum(1) / (a.norm(dim=1) * b.norm(dim=1) + 1e-8)
    ys, yt = F.softmax(s / tau, 1), F.softmax(te / tau, 1)
    inter = (1 - pearson(ys, yt)).mean() * tau * tau
    intra = (1 - pearson(ys.t(), yt.t())).mean() * tau * tau
    return beta * inter + gamma * intra


def loss_fn(name, s, te, target, epoch):
    """The recipe's objective; `te` may be a callable giving the teacher logits (only called when needed)."""
    ce = F.cross_entropy(s, target)
    if name == "ce": return ce
    t = te() if callable(te) else te
    if name == "kd": return 0.1 * ce + 0.9 * kd(s, t)
    if name == "dkd": return ce + min(epoch / 5, 1.0) * dkd(s, t, target)
    if name == "dist": return ce + dist(s, t)
    raise SystemExit(f"unknown loss {name}")
