#!/usr/bin/python3
"""The FitNet recipe of bench/train/fitnet.sh in Debian's PyTorch 1.13 (2 threads): cnn-small, Adam 1e-3, batch 128,
0.1 CE + 0.9 KD(T=4) [+ 1.0 MSE(Linear(400→128)(fc1), teacher's /Flatten_output_0)], adapter in the optimizer.
PyTorch cannot read our Parquet cache here (no pyarrow), so the teacher's logits and features are computed once with
models/fmnist-resnet rebuilt in PyTorch (bench/gpu/onnx_torch.py; the same values as the cache to ~1e-5, see
fmnist-resnet.json's onnxruntime_check) and then used exactly as a cache: fixed per sample, no augmentation.
Usage: torch_fitnet.py hint|kd EPOCHS SEED [LIMIT]; prints the final test accuracy."""
import os, subprocess, sys, tempfile
import torch
import torch.nn as nn
import torch.nn.functional as F
here = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(here, "..")); sys.path.insert(0, os.path.join(here, "..", "gpu"))
from torch_reference import fmnist, kd, student  # noqa: E402
from onnx_torch import load_teacher  # noqa: E402

objective, epochs, seed = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
limit = int(sys.argv[4]) if len(sys.argv) > 4 else None
torch.set_num_threads(2)
x, y = fmnist("train")
xt, yt = fmnist("test")
if limit: x, y = x[:limit], y[:limit]

spec = os.path.join(tempfile.gettempdir(), "fmnist-resnet-torch.pt")
if not os.path.exists(spec):
    subprocess.run(["/usr/bin/python3", os.path.join(here, "..", "gpu", "export_teacher_for_torch.py"),
                    os.path.join(here, "..", "..", "models", "fmnist-resnet", "fmnist-resnet.onnx"), spec], check=True)
teacher = load_teacher(spec, "cpu", outputs=["logits", "/Flatten_output_0"])
with torch.no_grad():
    pairs = [teacher(x[i:i + 1000]) for i in range(0, len(x), 1000)]
t_logits, t_feat = torch.cat([p[0] for p in pairs]), torch.cat([p[1] for p in pairs])

torch.manual_seed(seed)
model = student("cnn-small")          # Sequential: ..., [6] Flatten (fc1 tap, [400]), [7] Linear 400→10
adapter = nn.Linear(400, t_feat.shape[1])
params = list(model.parameters()) + (list(adapter.parameters()) if objective == "hint" else [])
opt = torch.optim.Adam(params, lr=1e-3)
for epoch in range(1, epochs + 1):
    model.train()
    perm = torch.randperm(len(y))
    for i in range(0, len(y), 128):
        b = perm[i:i + 128]
        feats = model[:7](x[b])
        s = model[7](feats)
        loss = 0.1 * F.cross_entropy(s, y[b]) + 0.9 * kd(s, t_logits[b])
        if objective == "hint":
            loss = loss + F.mse_loss(adapter(feats), t_feat[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
model.eval()
with torch.no_grad():
    acc = sum((model(xt[i:i + 1000]).argmax(1) == yt[i:i + 1000]).sum().item() for i in range(0, len(yt), 1000)) / len(yt)
print(f"{acc:.4f}")
