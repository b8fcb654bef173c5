#!/usr/bin/python3
"""Epoch time of the reference students in Debian's PyTorch 1.13 (2 threads), for bench/train/speed.sh.

Same work as train-student per epoch: Fashion-MNIST train (60k, preprocessed once, in memory), shuffled each epoch,
batch 128, Adam 1e-3, student forward, loss (ce / kd / dkd / dist as in ../shared/reference/fmnist-students.json)
against cached teacher logits, backward, step. Teacher logits are random here (the values do not change the time).
Usage: pytorch_epoch.py STUDENT LOSS [EPOCHS]; prints one line per epoch: "epoch N seconds S".
"""
import os, sys, time
import torch
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_reference import fmnist, student, loss_fn  # noqa: E402

torch.set_num_threads(2)
torch.manual_seed(0)

x, y = fmnist("train")
t = torch.randn(len(y), 10) * 4

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
