#!/usr/bin/python3
"""multitask-small trained in PyTorch as train-student trains it (issue 14, acceptances 3 and 4): the same student
(src/Distill.Student/Students/MultitaskSmall.cs, layer for layer: 118,776 parameters), the same recipes
(recipes/fmnist-scenes/multitask-small.{distill,labels}.json: AdamW, one-cycle, batch, epochs), seed 003's losses as the
seed writes them, the label losses as models/fmnist-scenes/train.py trains the teacher, and the teacher's outputs from
the same cache (dumped to .npy by bench/CacheToNpy: Debian's Python has no pyarrow).

    loss = Ratio_det·((1 − α_det)·det_loss + α_det·det_kd) + Ratio_seg·((1 − α_seg)·seg_loss + α_seg·seg_kd)

distill: α_det = α_seg = 0.5, Ratio = 1, T_seg = 2, T_det = 1; labels: α = 0 (det_loss + seg_loss). Each epoch prints
"epoch N seconds S loss L" (S: the training pass alone, as train-student's metrics.jsonl "seconds"); the last line is
a JSON object with the final test mIoU and mAP@0.5 of the student and of the teacher (from its cached test outputs),
scored by models/fmnist-scenes/scenes_metrics.py (the metrics the C# tests compare ours with).

Usage (Debian's PyTorch 1.13; bench/multitask/compare.sh and speed.sh run it):
  OMP_WAIT_POLICY=PASSIVE /usr/bin/python3 bench/multitask/torch_multitask.py --data data/fmnist-scenes \
    --teacher-train NPYDIR --teacher-test NPYDIR --recipe distill --seed 0 [--epochs 10] [--batch 64] [--threads 2]
"""
import argparse
import json
import math
import os
import sys
import time
import warnings

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "models", "fmnist-scenes"))
import scenes_data  # noqa: E402
import scenes_metrics  # noqa: E402
import train as teacher_training  # noqa: E402  (det_loss, evaluate, normalize; ANCHORS, GRID, NUM_CLASSES)
from seed003_distill import det_logit_distill_loss, seg_logit_distill_loss  # noqa: E402  (seed 003, verbatim)

# The seed's KLDivLoss(reduction='mean') is its choice (mean over every element, times T²): PyTorch's advice to
# use 'batchmean' does not apply.
warnings.filterwarnings("ignore", message="reduction: 'mean' divides the total loss")
MEAN, STD = 0.0993147, 0.2415283   # models/fmnist-scenes/fmnist-scenes.json's preprocessing (the cache's)




class Block(nn.Module):
    """relu(conv3x3-BN-ReLU-conv3x3-BN + shortcut), the shortcut a 1x1 conv + BN when the shape changes (He et al. 2016)."""
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.shortcut = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout)) \
            if stride != 1 or cin != cout else nn.Identity()

    def forward(self, x):
        return F.relu(self.bn2(self.conv2(F.relu(self.bn1(self.conv1(x))))) + self.shortcut(x))


class MultitaskSmall(nn.Module):
    """MultitaskSmall.cs: stem 16 (stride 2), blocks 16, 32 (stride 4), 64 (stride 8); seg head on layer2 plus the
    top-down lateral of layer3; det head on layer3 as anchor-major rows [A·GH·GW, 5 + K]."""
    def __init__(self, seg_classes=11, anchors=3, det_classes=10):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 16, 3, 2, 1, bias=False), nn.BatchNorm2d(16), nn.ReLU())
        self.layer1, self.layer2, self.layer3 = Block(16, 16, 1), Block(16, 32, 2), Block(32, 64, 2)
        self.lateral = nn.Conv2d(64, 32, 1)
        self.seg_head = nn.Sequential(nn.Conv2d(32, 32, 3, 1, 1, bias=False), nn.BatchNorm2d(32), nn.ReLU(), nn.Conv2d(32, seg_classes, 1))
        self.det_head = nn.Sequential(nn.Conv2d(64, 48, 3, 1, 1, bias=False), nn.BatchNorm2d(48), nn.ReLU(), nn.Conv2d(48, anchors * (5 + det_classes), 1))
        self.anchors, self.row = anchors, 5 + det_classes

    def forward(self, x):
        l2 = self.layer2(self.layer1(self.stem(x)))
        l3 = self.layer3(l2)
        seg = self.seg_head(l2 + F.interpolate(self.lateral(l3), scale_factor=2, mode="nearest"))
        d = self.det_head(l3)
        n, _, gh, gw = d.shape
        det = d.view(n, self.anchors, self.row, gh, gw).permute(0, 1, 3, 4, 2).reshape(n, self.anchors * gh * gw, self.row)
        return seg, det


RECIPES = {   # (α_det, α_seg, Ratio_det, Ratio_seg, T_seg, T_det): recipes/fmnist-scenes/multitask-small.*.json
    "distill": (0.5, 0.5, 1.0, 1.0, 2.0, 1.0),
    "labels": (0.0, 0.0, 1.0, 1.0, 2.0, 1.0),
}


def main():
    p = argparse.ArgumentParser()
    p.add_argument("--data", required=True)
    p.add_argument("--teacher-train", required=True, help="CacheToNpy dump of the train cache (seg.npy, det.npy)")
    p.add_argument("--teacher-test", required=True, help="CacheToNpy dump of the test cache")
    p.add_argument("--recipe", choices=sorted(RECIPES), required=True)
    p.add_argument("--seed", type=int, default=0)
    p.add_argument("--epochs", type=int, default=10)
    p.add_argument("--batch", type=int, default=64)
    p.add_argument("--lr", type=float, default=0.003)
    p.add_argument("--weight-decay", type=float, default=1e-4)
    p.add_argument("--threads", type=int, default=2)
    a = p.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(a.seed)
    a_det, a_seg, r_det, r_seg, t_seg, t_det = RECIPES[a.recipe]

    images, masks, boxes = scenes_data.load_split(a.data, "train")
    test_images, test_masks, test_boxes = scenes_data.load_split(a.data, "test")
    x = teacher_training.normalize(images, MEAN, STD)
    t_seg_all = torch.from_numpy(np.load(os.path.join(a.teacher_train, "seg.npy")))
    t_det_all = torch.from_numpy(np.load(os.path.join(a.teacher_train, "det.npy")))
    assert len(t_seg_all) == len(x) == len(t_det_all), "the cache dump and the data differ in size"
    # Masks at the seg head's resolution, nearest with half-pixel centres (as the metric and seg_ce resize them).
    target = torch.from_numpy(scenes_metrics.mask_to_head(masks, t_seg_all.shape[2], t_seg_all.shape[3]).astype(np.int64))

    model = MultitaskSmall()
    params = sum(p.numel() for p in model.parameters())
    assert params == 118_776, params
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, weight_decay=a.weight_decay)
    steps = a.epochs * math.ceil(len(x) / a.batch)
    # train-student's one-cycle is OneCycleLR's defaults on the learning rate alone (no momentum cycling).
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=a.lr, total_steps=steps, cycle_momentum=False)
    for epoch in range(1, a.epochs + 1):
        model.train()
        start = time.perf_counter()
        total, batches = 0.0, 0
        for b in torch.randperm(len(x)).split(a.batch):
            s_seg, s_det = model(x[b])
            seg_loss = F.cross_entropy(s_seg, target[b])
            det_loss = teacher_training.det_loss(s_det, [boxes[i] for i in b.tolist()])
            if a_seg > 0 or a_det > 0:
                seg_kd = seg_logit_distill_loss(t_seg_all[b], s_seg, t_seg)
                det_kd = det_logit_distill_loss(t_det_all[b], s_det, t_det)
            else:
                seg_kd = det_kd = torch.zeros(())
            # The seed's combination, as written there.
            seg_distill_loss = seg_loss * (1 - a_seg) + seg_kd * a_seg
            det_distill_loss = det_loss * (1 - a_det) + det_kd * a_det
            loss = det_distill_loss * r_det + seg_distill_loss * r_seg
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total, batches = total + float(loss), batches + 1
        print(f"epoch {epoch} seconds {time.perf_counter() - start:.3f} loss {total / batches:.4f}", flush=True)

    seg, det = teacher_training.predict(model, test_images, MEAN, STD)
    miou, map50 = teacher_training.evaluate(seg, det, test_masks, test_boxes)
    t_miou, t_map = teacher_training.evaluate(np.load(os.path.join(a.teacher_test, "seg.npy")),
                                              np.load(os.path.join(a.teacher_test, "det.npy")), test_masks, test_boxes)
    print(json.dumps({"recipe": a.recipe, "seed": a.seed, "epochs": a.epochs, "final_test_miou": miou,
                      "final_test_map50": map50, "teacher_test_miou": t_miou, "teacher_test_map50": t_map}))


if __name__ == "__main__":
    main()
