"""An independent numpy/PyTorch re-implementation of make-scenes (Distill.Data.Scenes), for the C# tests: SplitMix64
draws per (seed, split, canvas), garments scaled by PyTorch's bilinear interpolate (align_corners=False), drawn where
non-zero, boxes from the visible pixels. Writes, for the first N canvases of a split, each canvas's label lines and
the SHA-256 of its pixel and mask bytes to a JSON file (tests/Distill.Data.Tests/data/scenes-reference.json).
A scaled value within 1e-6 of k + 0.5 may round either way depending on the order of floating-point operations
(PyTorch's kernel is compiled with fused multiply-adds), so those pixels are listed as "ties" with Python's value.

    /usr/bin/python3 tools/make-scenes/scenes_reference.py --seed 14 --split test --count 16 --out tests/Distill.Data.Tests/data/scenes-reference.json
"""
import argparse
import gzip
import hashlib
import json

import numpy as np
import torch
import torch.nn.functional as F

M = (1 << 64) - 1


def mix(z):
    z = ((z ^ (z >> 30)) * 0xBF58476D1CE4E5B9) & M
    z = ((z ^ (z >> 27)) * 0x94D049BB133111EB) & M
    return z ^ (z >> 31)


class SplitMix:
    def __init__(self, seed, split, index):
        s = seed & M
        s = mix(s ^ mix(split + 1))
        self.s = mix(s ^ mix(((index & 0xFFFFFFFF) << 8) + 0x9E37))

    def next64(self):
        self.s = (self.s + 0x9E3779B97F4A7C15) & M
        return mix(self.s)

    def uniform(self):
        return (self.next64() >> 11) * (1.0 / (1 << 53))

    def below(self, n):
        return ((self.next64() >> 32) * n) >> 32


def idx(path):
    with gzip.open(path) as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i:8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, np.uint8, offset=4 + 4 * rank).reshape(dims)


def compose(seed, split_id, index, images, labels, canvas=64):
    rng = SplitMix(seed, split_id, index)
    pixels = np.zeros((canvas, canvas), np.uint8)
    mask = np.zeros((canvas, canvas), np.uint8)
    owner = np.zeros((canvas, canvas), np.int64)
    tie = np.zeros((canvas, canvas), bool)   # the pixel's unrounded value was within 1e-6 of k + 0.5
    garments = []
    for k in range(1 + rng.below(3)):
        src = rng.below(len(images))
        scale = 0.6 + (1.4 - 0.6) * rng.uniform()
        side = max(1, int(np.floor(28 * scale + 0.5)))
        x, y = rng.below(canvas - side + 1), rng.below(canvas - side + 1)
        img = torch.from_numpy(images[src].astype(np.float64))[None, None]
        exact = F.interpolate(img, size=(side, side), mode="bilinear", align_corners=False)[0, 0].numpy()
        scaled = np.clip(np.floor(exact + 0.5), 0, 255).astype(np.uint8)   # half away from zero (values are >= 0)
        on = scaled > 0
        pixels[y:y + side, x:x + side][on] = scaled[on]
        tie[y:y + side, x:x + side][on] = np.abs(exact - np.floor(exact) - 0.5)[on] < 1e-6
        mask[y:y + side, x:x + side][on] = labels[src] + 1
        owner[y:y + side, x:x + side][on] = k + 1
        garments.append(int(labels[src]))
    lines = []
    for k, c in enumerate(garments):
        ys, xs = np.nonzero(owner == k + 1)
        if len(xs) == 0:
            continue   # covered completely: no box
        x0, x1, y0, y1 = xs.min(), xs.max() + 1, ys.min(), ys.max() + 1
        lines.append(f"{c} {(x0 + x1) / 2 / canvas:.6f} {(y0 + y1) / 2 / canvas:.6f} {(x1 - x0) / canvas:.6f} {(y1 - y0) / canvas:.6f}")
    return pixels, mask, lines, tie


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seed", type=int, default=14)
    ap.add_argument("--split", choices=["train", "test"], default="test")
    ap.add_argument("--count", type=int, default=8)
    ap.add_argument("--source", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--out", required=True)
    args = ap.parse_args()
    prefix = "train" if args.split == "train" else "t10k"
    images = idx(f"{args.source}/{prefix}-images-idx3-ubyte.gz")
    labels = idx(f"{args.source}/{prefix}-labels-idx1-ubyte.gz")
    canvases = []
    for i in range(args.count):
        pixels, mask, lines, tie = compose(args.seed, 0 if args.split == "train" else 1, i, images, labels)
        ys, xs = np.nonzero(tie)
        canvases.append({"labels": lines, "pixels_sha256": hashlib.sha256(pixels.tobytes()).hexdigest(),
                         "mask_sha256": hashlib.sha256(mask.tobytes()).hexdigest(),
                         "ties": [[int(x), int(y), int(pixels[y, x])] for y, x in zip(ys, xs)]})
    with open(args.out, "w") as f:
        json.dump({"what": "scenes_reference.py (numpy + PyTorch bilinear) for make-scenes; ties: [x, y, value] of pixels at k + 0.5", "seed": args.seed,
                   "split": args.split, "canvases": canvases}, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
