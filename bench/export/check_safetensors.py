#!/usr/bin/python3
"""Loads student.safetensors with Debian's PyTorch 1.13 (/usr/bin/python3; no `safetensors` package: the format is
parsed here with json + numpy) into the matching PyTorch module and compares its logits on Fashion-MNIST test
images with reference logits (a .npy written by the caller, e.g. from ONNX Runtime / TorchSharp).

usage: /usr/bin/python3 bench/export/check_safetensors.py DIR/student.safetensors STUDENT [--ref logits.f32 --n N]
       [--expect-acc ACC]
Without --ref it prints the logits' checksum and first rows so they can be compared by hand; --expect-acc compares
PyTorch's top-1 on the first N test images with ACC (e.g. the run's final_test_acc; bench/export/check.sh)."""
import argparse, collections, gzip, json, struct, sys
import numpy as np
import torch
from torch import nn

DT = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I64": np.int64, "I32": np.int32, "I16": np.int16,
      "I8": np.int8, "U8": np.uint8, "BOOL": np.bool_}

def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    meta = header.pop("__metadata__", {})
    out = collections.OrderedDict()
    end = 0
    for name, e in header.items():
        b, t = e["data_offsets"]
        assert 0 <= b <= t <= len(data), name
        arr = np.frombuffer(data[b:t], dtype=np.dtype(DT[e["dtype"]]).newbyteorder("<")).reshape(e["shape"])
        out[name] = torch.from_numpy(arr.copy())
        end = max(end, t)
    assert end == len(data), "trailing bytes"
    return out, meta

# PyTorch definitions whose state_dict names match TorchSharp's (src/Distill.Student/Students).
class Mlp(nn.Module):
    def __init__(self, hidden, inputs=784, classes=10):
        super().__init__()
        mods, w = [], inputs
        for i, h in enumerate(hidden):
            mods += [(f"fc{i}", nn.Linear(w, h)), (f"relu{i}", nn.ReLU())]
            w = h
        mods.append((f"fc{len(hidden)}", nn.Linear(w, classes)))
        self.layers = nn.Sequential(collections.OrderedDict(mods))
    def forward(self, x):
        return self.layers(x.flatten(1))

class CnnSmall(nn.Module):
    def __init__(self, c=1, h=28, w=28, classes=10):
        super().__init__()
        self.conv1 = nn.Conv2d(c, 8, 5, padding=2)
        self.conv2 = nn.Conv2d(8, 16, 5)
        self.pool = nn.MaxPool2d(2)
        self.fc = nn.Linear(16 * ((h // 2 - 4) // 2) * ((w // 2 - 4) // 2), classes)
    def forward(self, x):
        x = self.pool(torch.relu(self.conv1(x)))
        x = self.pool(torch.relu(self.conv2(x)))
        return self.fc(x.flatten(1))

class BasicBlock(nn.Module):
    def __init__(self, i, o, s):
        super().__init__()
        self.conv1 = nn.Conv2d(i, o, 3, s, 1, bias=False); self.bn1 = nn.BatchNorm2d(o)
        self.conv2 = nn.Conv2d(o, o, 3, 1, 1, bias=False); self.bn2 = nn.BatchNorm2d(o)
        self.shortcut = None
        if s != 1 or i != o:
            self.shortcut = nn.Sequential(collections.OrderedDict([("conv", nn.Conv2d(i, o, 1, s, bias=False)), ("bn", nn.BatchNorm2d(o))]))
    def forward(self, x):
        y = self.bn2(self.conv2(torch.relu(self.bn1(self.conv1(x)))))
        return torch.relu(y + (x if self.shortcut is None else self.shortcut(x)))

class ResNet(nn.Module):
    def __init__(self, c=1, classes=10, n=5):
        super().__init__()
        self.stem = nn.Conv2d(c, 16, 3, padding=1, bias=False); self.bn = nn.BatchNorm2d(16)
        blocks, i = [], 16
        for stage, o in enumerate([16, 32, 64]):
            for b in range(n):
                blocks.append((f"s{stage}b{b}", BasicBlock(i, o, 2 if stage > 0 and b == 0 else 1))); i = o
        self.stages = nn.Sequential(collections.OrderedDict(blocks))
        self.pool = nn.AdaptiveAvgPool2d(1); self.fc = nn.Linear(64, classes)
    def forward(self, x):
        return self.fc(self.pool(self.stages(torch.relu(self.bn(self.stem(x))))).flatten(1))

def build(name):
    if name == "mlp-20-20": return Mlp([20, 20])
    if name == "mlp-256-256": return Mlp([256, 256])
    if name.startswith("mlp:"): return Mlp([int(h) for h in name[4:].split(",")])
    if name == "cnn-small": return CnnSmall()
    if name == "resnet20": return ResNet(n=3)
    if name == "resnet32": return ResNet(n=5)
    raise SystemExit(f"unknown student {name}")

def fmnist_labels(n):
    with gzip.open("/usr/share/datasets/fashion-mnist/t10k-labels-idx1-ubyte.gz") as f:
        return np.frombuffer(f.read(), np.uint8, offset=8)[:n]

def fmnist_test(n, mean=0.2860406, std=0.3530242):
    with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz") as f:
        x = np.frombuffer(f.read(), np.uint8, offset=16).reshape(-1, 1, 28, 28)[:n].astype(np.float32)
    return torch.from_numpy((x / 255.0 - mean) / std)

if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("weights"); ap.add_argument("student")
    ap.add_argument("--ref", help="reference logits: raw little-endian float32 [n,10] (e.g. ONNX Runtime output)")
    ap.add_argument("--n", type=int, default=10000)
    ap.add_argument("--expect-acc", type=float, help="top-1 the student must reach on the first N test images")
    a = ap.parse_args()
    state, meta = load_safetensors(a.weights)
    m = build(a.student)
    m.load_state_dict(state, strict=True)
    m.eval()
    with torch.no_grad():
        y = m(fmnist_test(a.n)).numpy()
    print(f"loaded {len(state)} tensors (metadata {meta}) into {a.student}; logits {y.shape}")
    if a.expect_acc is not None:
        acc = float((y.argmax(1) == fmnist_labels(a.n)).mean())
        ok = abs(acc - a.expect_acc) <= 2.0 / a.n   # a near-tie may flip one or two argmaxes between runtimes
        print(f"{a.student}: PyTorch top-1 {acc:.4f}, expected {a.expect_acc:.4f}: {'OK' if ok else 'MISMATCH'}")
        if not ok:
            sys.exit(1)
    if a.ref:
        r = np.fromfile(a.ref, dtype="<f4").reshape(y.shape)
        print(f"max |PyTorch - reference| = {np.abs(y - r).max():.3e}; argmax identical: {(y.argmax(1) == r.argmax(1)).all()}")
    else:
        np.save(sys.stdout.buffer if False else "/dev/null", y)
        print(y[:2])
