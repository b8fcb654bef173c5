#!/usr/bin/python3
"""Epoch time of the reference students in Debian's PyTorch 1.13 (2 threads), for bench/train/speed.sh.

Same work as train-student per epoch: Fashion-MNIST train (60k, preprocessed once, in memory), shuffled each epoch,
batch 128, Adam 1e-3, student forward, loss (ce / kd / dkd / dist as in ../shared/reference/fmnist-students.json)
against cached teacher logits, backward, step. Teacher logits are random here (the values do not change the time).
Usage: pytorch_epoch.py STUDENT LOSS [EPOCHS]; prints one line per epoch: "epoch N seconds S".
"""
import gzip, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

torch.set_num_threads(2)
torch.manual_seed(0)

def idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)

root = "/usr/share/datasets/fashion-mnist/"
x = torch.from_numpy(idx(root + "train-images-idx3-ubyte.gz").astype(np.float32))
x = ((x / 255.0 - 0.2860406) / 0.3530242).unsqueeze(1)
y = torch.from_numpy(idx(root + "train-labels-idx1-ubyte.gz").astype(np.int64))
t = torch.randn(len(y), 10) * 4

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

def dkd(s, te, target, alpha=1.0, beta=8.0, T=4.0):
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
    ce = F.cross_entropy(s, target)
    if name == "ce": return ce
    if name == "kd": return 0.1 * ce + 0.9 * kd(s, te)
    if name == "dkd": return ce + min(epoch / 5, 1.0) * dkd(s, te, target)
    if name == "dist": return ce + dist(s, te)
    raise SystemExit(f"unknown loss {name}")

name, loss_name = sys.argv[1], sys.argv[2]
epochs = int(sys.argv[3]) if len(sys.argv) > 3 else 2
model = student(name)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(1, epochs + 1):
    start = time.perf_counter()
    perm = torch.randperm(len(y))
    for i in range(0, len(y), 128):
        b = perm[i:i + 128]
        s = model(x[b])
        loss = loss_fn(loss_name, s, t[b], y[b], epoch)
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch} seconds {time.perf_counter() - start:.3f}", flush=True)
