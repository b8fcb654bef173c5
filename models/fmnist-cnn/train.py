#!/usr/bin/python3
"""A second Fashion-MNIST teacher for multi-teacher distillation (issue 13): a small CNN trained with Debian's PyTorch 1.13
on the CPU (2 threads, a few minutes), exported to ONNX (input 'input' [batch,1,28,28], output 'logits' [batch,10]) with a
card in the format of models/fmnist-resnet/fmnist-resnet.json. Same preprocessing as fmnist-resnet, so one cache can hold
both teachers (precompute-logits --teacher A --teacher B).
Run: /usr/bin/python3 models/fmnist-cnn/train.py [EPOCHS]   (default 3; deterministic given the seed, on one machine)"""
import gzip, json, os, sys, time
import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

EPOCHS = int(sys.argv[1]) if len(sys.argv) > 1 else 3
HERE = os.path.dirname(os.path.abspath(__file__))
DATA = "/usr/share/datasets/fashion-mnist"
MEAN, STD = 0.2860406, 0.3530242
torch.manual_seed(0)
torch.set_num_threads(2)


def idx(name):
    with gzip.open(os.path.join(DATA, name)) as f:
        raw = f.read()
    dims = raw[3]
    shape = [int.from_bytes(raw[4 + 4 * i: 8 + 4 * i], "big") for i in range(dims)]
    return np.frombuffer(raw, np.uint8, offset=4 + 4 * dims).reshape(shape)


def images(split):
    x = idx(f"{split}-images-idx3-ubyte.gz").astype(np.float32)
    return torch.from_numpy(((x / 255.0 - MEAN) / STD).reshape(-1, 1, 28, 28).astype(np.float32))


xtr, ytr = images("train"), torch.from_numpy(idx("train-labels-idx1-ubyte.gz").astype(np.int64))
xte, yte = images("t10k"), torch.from_numpy(idx("t10k-labels-idx1-ubyte.gz").astype(np.int64))


class Cnn(nn.Module):
    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 16, 3, padding=1)
        self.conv2 = nn.Conv2d(16, 32, 3, padding=1)
        self.fc1 = nn.Linear(32 * 7 * 7, 64)
        self.fc2 = nn.Linear(64, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        return self.fc2(F.relu(self.fc1(x.flatten(1))))


def accuracy(model, x, y):
    model.eval()
    with torch.no_grad():
        return sum((model(x[i:i + 1000]).argmax(1) == y[i:i + 1000]).sum().item() for i in range(0, len(x), 1000)) / len(x)


model = Cnn()
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
for epoch in range(EPOCHS):
    model.train()
    start = time.time()
    perm = torch.randperm(len(xtr))
    for i in range(0, len(xtr), 128):
        b = perm[i:i + 128]
        loss = F.cross_entropy(model(xtr[b]), ytr[b])
        opt.zero_grad()
        loss.backward()
        opt.step()
    print(f"epoch {epoch + 1}: test acc {accuracy(model, xte, yte):.4f} ({time.time() - start:.0f} s)", flush=True)

test_acc, train_acc = accuracy(model, xte, yte), accuracy(model, xtr, ytr)
onnx_path = os.path.join(HERE, "fmnist-cnn.onnx")
model.eval()
torch.onnx.export(model, torch.zeros(1, 1, 28, 28), onnx_path, input_names=["input"], output_names=["logits"],
                  dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}}, opset_version=17)
card = json.load(open(os.path.join(HERE, "..", "fmnist-resnet", "fmnist-resnet.json")))
card.update({
    "model": "fmnist-cnn.onnx",
    "exported_with": f"torch.onnx.export (TorchScript-based exporter), opset 17, PyTorch {torch.__version__}, dynamic batch axis",
    "architecture": "CNN: conv 3x3 1->16, ReLU, maxpool 2; conv 3x3 16->32, ReLU, maxpool 2; linear 1568->64, ReLU; linear 64->10",
    "parameters": sum(p.numel() for p in model.parameters()),
    "accuracy": {"test": round(test_acc, 4), "train": round(train_acc, 4)},
    "training": f"{EPOCHS} epochs Adam lr 1e-3, batch 128, no augmentation, seed 0, 2 CPU threads (models/fmnist-cnn/train.py)",
})
card.pop("onnxruntime_check", None)
with open(os.path.join(HERE, "fmnist-cnn.json"), "w") as f:
    json.dump(card, f, indent=1)
    f.write("\n")
print(f"test {test_acc:.4f}, train {train_acc:.4f} -> {onnx_path}")
