"""Reads a YOLO-layout scenes folder (make-scenes output) into numpy: images and masks [N, 64, 64] uint8, boxes per
canvas as float32 [n, 5] rows (class, cx, cy, w, h), normalized like the label files."""
import os

import numpy as np
from PIL import Image


def load_split(root, split, limit=None):
    names = sorted(f[:-4] for f in os.listdir(os.path.join(root, "images", split)) if f.endswith(".png"))
    if limit is not None:
        names = names[:limit]
    images = np.stack([np.array(Image.open(os.path.join(root, "images", split, n + ".png"))) for n in names])
    masks = np.stack([np.array(Image.open(os.path.join(root, "masks", split, n + ".png"))) for n in names])
    boxes = []
    for n in names:
        with open(os.path.join(root, "labels", split, n + ".txt")) as f:
            rows = [[float(v) for v in line.split()] for line in f if line.strip()]
        boxes.append(np.array(rows, dtype=np.float32).reshape(-1, 5))
    assert images.dtype == np.uint8 and masks.dtype == np.uint8 and images.shape == masks.shape
    return images, masks, boxes


def class_names(root):
    with open(os.path.join(root, "classes.txt")) as f:
        return [line.rstrip("\n") for line in f if line.strip()]
