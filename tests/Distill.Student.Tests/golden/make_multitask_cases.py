#!/usr/bin/python3
"""PyTorch's values for the multi-task objective of seed 003 (issue 14, acceptance 1), in float64 with Debian's
PyTorch 1.13, for MultitaskObjectiveTests:

    loss = Ratio_det·((1 − α_det)·det_loss + α_det·det_kd) + Ratio_seg·((1 − α_seg)·seg_loss + α_seg·seg_kd)

- seg_kd, det_kd: the seed's seg_logit_distill_loss and det_logit_distill_loss, verbatim;
- seg_loss: per-pixel cross-entropy against the mask resized to the head's size by PyTorch's
  interpolate(mode="nearest-exact") (half-pixel centres, as the metrics resize masks);
- det_loss: models/fmnist-scenes/train.py's det_loss (build_targets, giou), imported from the teacher's own training
  script, its constants patched for the second layout. One change for float64: PyTorch 1.13 computes
  binary_cross_entropy_with_logits of a float64 input against a float32 target (train.py's one-hot .float()) in
  float32, so here its targets take the input's dtype (the same function, without that rounding).
Each case holds the inputs, each weighted term, the total and its gradient w.r.t. the student's seg and det outputs.
Run: OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 tests/Distill.Student.Tests/golden/make_multitask_cases.py
(deterministic: rerunning writes the same multitask.json)."""
import json
import os
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(ROOT, "models", "fmnist-scenes"))
import train as teacher_training  # noqa: E402  (models/fmnist-scenes/train.py: det_loss, build_targets, giou)
from seed003_distill import det_logit_distill_loss, seg_logit_distill_loss  # noqa: E402  (seed 003, verbatim)

torch.set_num_threads(2)
torch.set_default_dtype(torch.float64)


class _Float64Bce:
    """torch.nn.functional for train.py, with binary_cross_entropy_with_logits's target in the input's dtype."""
    def __getattr__(self, name):
        return getattr(F, name)

    @staticmethod
    def binary_cross_entropy_with_logits(input, target, *args, **kwargs):
        return F.binary_cross_entropy_with_logits(input, target.to(input.dtype), *args, **kwargs)


teacher_training.F = _Float64Bce()
g = torch.Generator().manual_seed(14)
rng = np.random.default_rng(14)




def seg_loss(s, masks):  # CE_Loss against the masks at the head's resolution
    target = F.interpolate(masks[:, None].double(), size=s.shape[2:], mode="nearest-exact")[:, 0].long()
    return F.cross_entropy(s, target)


def layout(anchors, grid, stride, classes):
    """Sets train.py's constants (its det_loss reads them) and returns the layout as the golden file records it."""
    teacher_training.ANCHORS, teacher_training.GRID, teacher_training.STRIDE = anchors, grid, stride
    teacher_training.INPUT, teacher_training.NUM_CLASSES = grid * stride, classes
    return {"anchors": [list(a) for a in anchors], "grid": [grid, grid], "input": [grid * stride, grid * stride], "classes": classes}


def random_boxes(n, duplicate):
    """Per image a float32 [k, 5] array (class, cx, cy, w, h) as scenes_data reads label files; image 1 has none."""
    boxes = []
    for i in range(n):
        k = 0 if i == 1 else int(rng.integers(1, 4))
        w, h = rng.uniform(0.15, 0.6, k), rng.uniform(0.15, 0.6, k)
        cx, cy = rng.uniform(w / 2, 1 - w / 2), rng.uniform(h / 2, 1 - h / 2)
        b = np.stack([rng.integers(0, teacher_training.NUM_CLASSES, k), cx, cy, w, h], 1).astype(np.float32).reshape(-1, 5)
        if duplicate and i == 0:   # the first box again with another class: both assigned to one cell and anchor
            again = b[:1].copy()
            again[0, 0] = (again[0, 0] + 1) % teacher_training.NUM_CLASSES
            b = np.concatenate([b, again])
        boxes.append(b)
    return boxes


def case(name, lay, n, seg_size, mask_size, alphas, ratios, temps, duplicate=True, no_boxes=False, recipe=None):
    a = lay
    c = a["classes"] + 1
    rows = len(a["anchors"]) * a["grid"][0] * a["grid"][1]
    s_seg = (torch.randn(n, c, seg_size, seg_size, generator=g) * 2).requires_grad_(True)
    t_seg = torch.randn(n, c, seg_size, seg_size, generator=g) * 3
    s_det = (torch.randn(n, rows, 5 + a["classes"], generator=g) * 1.5).requires_grad_(True)
    t_det = torch.randn(n, rows, 5 + a["classes"], generator=g) * 2
    masks = torch.randint(0, c, (n, mask_size, mask_size), generator=g)
    boxes = [np.zeros((0, 5), dtype=np.float32) for _ in range(n)] if no_boxes else random_boxes(n, duplicate)
    (a_det, a_seg), (r_det, r_seg), (t_s, t_d) = alphas, ratios, temps

    det_label = teacher_training.det_loss(s_det, boxes)
    det_kd = det_logit_distill_loss(t_det, s_det, t_d)
    seg_label = seg_loss(s_seg, masks)
    seg_kd = seg_logit_distill_loss(t_seg, s_seg, t_s)
    parts = {"det_yolo": r_det * (1 - a_det) * det_label, "det_mse": r_det * a_det * det_kd,
             "seg_ce": r_seg * (1 - a_seg) * seg_label, "seg_kl": r_seg * a_seg * seg_kd}
    # The seed's combination, as written there.
    seg_distill_loss = seg_label * (1 - a_seg) + seg_kd * a_seg
    det_distill_loss = det_label * (1 - a_det) + det_kd * a_det
    loss = det_distill_loss * r_det + seg_distill_loss * r_seg
    loss.backward()
    flat = lambda x: [float(v) for v in x.detach().reshape(-1)]
    return {
        "name": name, "recipe": recipe, "layout": a,
        "alpha_det": a_det, "alpha_seg": a_seg, "ratio_det": r_det, "ratio_seg": r_seg, "t_seg": t_s, "t_det": t_d,
        "seg_shape": list(s_seg.shape), "det_shape": list(s_det.shape), "mask_shape": list(masks.shape),
        "student_seg": flat(s_seg), "teacher_seg": flat(t_seg), "student_det": flat(s_det), "teacher_det": flat(t_det),
        "masks": [int(v) for v in masks.reshape(-1)],
        "boxes": [[i] + [float(v) for v in row] for i, b in enumerate(boxes) for row in b],
        "parts": {k: float(v) for k, v in parts.items()}, "total": float(loss),
        "grad_seg": flat(s_seg.grad), "grad_det": flat(s_det.grad),
    }


cases = [
    # recipes/fmnist-scenes/multitask-small.distill.json on models/fmnist-scenes's layout: α = 0.5, Ratio = 1, T 2 / 1.
    case("recipe", layout([(14, 21), (24, 14), (26, 31)], 8, 8, 10), 2, 16, 64, (0.5, 0.5), (1.0, 1.0), (2.0, 1.0),
         recipe="recipes/fmnist-scenes/multitask-small.distill.json"),
    # Other α, Ratio and temperatures on a second layout (2 anchors, 4 × 4 grid of stride 8, 3 classes, masks 32 → 8).
    case("weights", layout([(10, 12), (30, 20)], 4, 8, 3), 4, 8, 32, (0.3, 0.7), (2.0, 0.5), (4.0, 3.0)),
    # No labelled box in the batch: det_loss is the objectness term alone.
    case("no boxes", layout([(10, 12), (30, 20)], 4, 8, 3), 2, 8, 32, (0.6, 0.2), (1.0, 1.5), (1.0, 2.0), no_boxes=True),
]
with open(os.path.join(HERE, "multitask.json"), "w") as f:
    json.dump({"note": f"PyTorch {torch.__version__}, float64, make_multitask_cases.py (seed 14)", "cases": cases}, f)
print(f"{len(cases)} cases -> {os.path.join(HERE, 'multitask.json')}")
