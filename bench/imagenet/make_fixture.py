#!/usr/bin/python3
"""ImageNet-like fixture for the speed benchmarks (issue 17, item 5), made with Debian's PyTorch 1.13 / torchvision 0.14:
  OUT/resnet18.onnx  torchvision ResNet-18, weights=None after torch.manual_seed(0), 1,000 classes (opset 17, dynamic batch)
  OUT/resnet18.pt    its state_dict, for the PyTorch side of the benchmark (same weights)
  OUT/resnet18.json  its card: 1,000 class_ids in synset form (n00000000..n00000999, NOT WordNet's ids), torchvision's
                     ImageNet category names as classes, input.resize short:256, input.crop center:224, ImageNet mean/std
  OUT/jpeg/<id>/*.jpg  --images JPEGs (default 3,000) of 300-500 px per side in varied aspect ratios, photo-like
                     content (smooth shading, soft blobs, edges, texture, grain; ~70 KB each at quality 90), spread over the
                     first --classes class_ids
  OUT/decoded-224.npy  the first --decoded images (default 512) as torchvision gives them to the model: PIL open +
                     convert("RGB") + Resize(256) + CenterCrop(224), uint8 [N, 3, 224, 224]: the pre-decoded batches
                     both sides of benchmark (a) read
OUT defaults to bench/imagenet/out/ (git-ignored: ~45 MB of model plus the images). Same arguments, same files.
    /usr/bin/python3 bench/imagenet/make_fixture.py [--out DIR] [--images N] [--classes K] [--decoded M]"""
import argparse, json, os, sys
import numpy as np
import torch
import torchvision
import torchvision.transforms as T
from PIL import Image
from torchvision.models import ResNet18_Weights

p = argparse.ArgumentParser()
p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
p.add_argument("--images", type=int, default=3000)
p.add_argument("--classes", type=int, default=100)
p.add_argument("--decoded", type=int, default=512)
a = p.parse_args()
os.makedirs(a.out, exist_ok=True)
torch.set_num_threads(2)

MEAN, STD = [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]
CLASS_IDS = [f"n{i:08d}" for i in range(1000)]

torch.manual_seed(0)
model = torchvision.models.resnet18(weights=None, num_classes=1000).eval()
torch.save(model.state_dict(), os.path.join(a.out, "resnet18.pt"))
torch.onnx.export(model, torch.zeros(1, 3, 224, 224), os.path.join(a.out, "resnet18.onnx"), opset_version=17,
                  input_names=["input"], output_names=["logits"], dynamic_axes={"input": {0: "batch"}, "logits": {0: "batch"}})
card = {
    "model": "resnet18.onnx",
    "task": "ImageNet-like benchmark fixture: torchvision ResNet-18 with random weights (torch.manual_seed(0)), 1,000 classes",
    "exported_with": f"torch.onnx.export (TorchScript-based), opset 17, PyTorch {torch.__version__}, dynamic batch axis",
    "input": {"name": "input", "shape": ["batch", 3, 224, 224], "dtype": "float32",
              "preprocess": "Resize(256) + CenterCrop(224) on the PIL image, ToTensor, Normalize(mean, std)",
              "resize": "short:256", "crop": "center:224", "mean": MEAN, "std": STD},
    "output": {"name": "logits", "shape": ["batch", 1000], "dtype": "float32", "meaning": "raw logits (no softmax)"},
    "classes": ResNet18_Weights.IMAGENET1K_V1.meta["categories"],
    "class_ids": CLASS_IDS,
}
with open(os.path.join(a.out, "resnet18.json"), "w") as f:
    json.dump(card, f, indent=1)

rng = np.random.default_rng(0)


def photo_like(w, h):
    """Smooth shading, soft blobs, hard-edged shapes, texture and grain: JPEG sizes and decode work like photos'."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float32)
    img = np.empty((h, w, 3), np.float32)
    for c in range(3):
        img[..., c] = 120 + 70 * np.sin(rng.uniform(-4, 4) * x / w + rng.uniform(0, 6)) * np.cos(rng.uniform(-4, 4) * y / h + rng.uniform(0, 6))
    for _ in range(5):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(10, min(w, h) / 2)
        img += np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))[..., None] * rng.uniform(-100, 100, 3).astype(np.float32)
    for _ in range(4):
        x0, y0 = rng.uniform(0, w), rng.uniform(0, h)
        inside = (np.abs(x - x0) < rng.uniform(10, w / 4)) & (np.abs(y - y0) < rng.uniform(10, h / 4))
        img[inside] = img[inside] * 0.5 + rng.uniform(0, 255, 3).astype(np.float32) * 0.5
    for scale, amount in ((2, 22), (12, 25)):  # texture at two scales, smoothly upsampled
        small = rng.normal(128, amount, (h // scale + 1, w // scale + 1, 3)).clip(0, 255).astype(np.uint8)
        img += np.asarray(Image.fromarray(small).resize((w, h), Image.BILINEAR), np.float32) - 128
    img += rng.normal(0, 8, img.shape).astype(np.float32)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


paths = []
for i in range(a.images):
    w, h = (int(v) for v in rng.integers(300, 501, 2))
    folder = os.path.join(a.out, "jpeg", CLASS_IDS[i % a.classes])
    os.makedirs(folder, exist_ok=True)
    path = os.path.join(folder, f"img_{i:05d}.jpg")
    Image.fromarray(photo_like(w, h)).save(path, quality=90)
    paths.append(path)
    if (i + 1) % 500 == 0:
        print(f"{i + 1} images", file=sys.stderr)

# The dataset's order (folders, then files, ordinally), as precompute-logits reads the folder.
paths.sort(key=lambda q: os.path.relpath(q, os.path.join(a.out, "jpeg")))
eval_geometry = T.Compose([T.Resize(256), T.CenterCrop(224)])
decoded = np.stack([np.asarray(eval_geometry(Image.open(q).convert("RGB"))).transpose(2, 0, 1) for q in paths[:a.decoded]])
np.save(os.path.join(a.out, "decoded-224.npy"), decoded)
size = sum(os.path.getsize(q) for q in paths)
print(f"{a.out}: resnet18.onnx + card, {len(paths)} JPEGs in {a.classes} folders ({size / len(paths) / 1024:.0f} KB each), "
      f"decoded-224.npy {decoded.shape}")
