"""Trains the fmnist-scenes teacher on make-scenes output and writes fmnist-scenes.{pt,onnx,json} beside this script.

    dotnet run --project tools/make-scenes -c Release -- --out data/fmnist-scenes
    /usr/bin/python3 models/fmnist-scenes/train.py --data data/fmnist-scenes

Debian's PyTorch 1.13 on 2 CPU threads. Losses: per-pixel cross-entropy against the mask at the head's resolution
(nearest, half-pixel centres, as the metrics); YOLO-style detection (YOLOv5's parametrisation): each labelled box is
assigned to the grid cell holding its centre and the anchor of best shape IoU; objectness BCE over all anchors (target
1 at assigned ones), 1 - GIoU (Rezatofighi et al., CVPR 2019) and per-class BCE at the assigned ones.
"""
import argparse
import json
import os
import time

# OpenMP threads that spin while waiting take 10-20x longer on a machine whose cores are shared (measured here: 14.7 s
# instead of 0.8 s per batch at load 40); passive waiting does not change the results.
os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")

import numpy as np
import torch
import torch.nn.functional as F

import scenes_data
import scenes_metrics
from scenes_model import ANCHORS, GRID, NUM_CLASSES, STRIDE, SceneTeacher

HERE = os.path.dirname(os.path.abspath(__file__))
INPUT = 64
W_BOX, W_OBJ, W_CLS = 1.0, 4.0, 1.0


def normalize(images, mean, std):
    return (torch.from_numpy(images).float().unsqueeze(1) / 255.0 - mean) / std


def build_targets(boxes):
    """Per labelled box: (image, anchor, gy, gx, class, cx, cy, w, h in pixels)."""
    anchors = torch.tensor(ANCHORS, dtype=torch.float32)
    rows = []
    for i, b in enumerate(boxes):
        for c, cx, cy, w, h in b:
            gx, gy = min(int(cx * GRID), GRID - 1), min(int(cy * GRID), GRID - 1)
            pw, ph = w * INPUT, h * INPUT
            inter = torch.minimum(anchors[:, 0], torch.tensor(pw)) * torch.minimum(anchors[:, 1], torch.tensor(ph))
            a = int(torch.argmax(inter / (anchors[:, 0] * anchors[:, 1] + pw * ph - inter)))
            rows.append((i, a, gy, gx, int(c), cx * INPUT, cy * INPUT, pw, ph))
    return rows


def giou(p, t):
    """Generalized IoU of [M, 4] (cx, cy, w, h) boxes."""
    p0, p1 = p[:, :2] - p[:, 2:] / 2, p[:, :2] + p[:, 2:] / 2
    t0, t1 = t[:, :2] - t[:, 2:] / 2, t[:, :2] + t[:, 2:] / 2
    inter = (torch.minimum(p1, t1) - torch.maximum(p0, t0)).clamp(min=0).prod(1)
    union = p[:, 2:].prod(1) + t[:, 2:].prod(1) - inter
    hull = (torch.maximum(p1, t1) - torch.minimum(p0, t0)).prod(1)
    iou = inter / union
    return iou - (hull - union) / hull


def det_loss(det, boxes):
    n = det.shape[0]
    obj_target = torch.zeros(n, det.shape[1])
    rows = build_targets(boxes)
    if not rows:
        return W_OBJ * F.binary_cross_entropy_with_logits(det[..., 4], obj_target)
    t = torch.tensor(rows, dtype=torch.float32)
    img, a, gy, gx, cls = (t[:, k].long() for k in range(5))
    idx = a * GRID * GRID + gy * GRID + gx
    obj_target[img, idx] = 1.0
    p = det[img, idx]                                               # [M, 5+K]
    s = torch.sigmoid(p[:, :4])
    anchors = torch.tensor(ANCHORS, dtype=torch.float32)[a]
    pxy = (2 * s[:, :2] - 0.5 + torch.stack([gx, gy], 1).float()) * STRIDE
    pwh = (2 * s[:, 2:4]) ** 2 * anchors
    box = (1 - giou(torch.cat([pxy, pwh], 1), t[:, 5:9])).mean()
    cls_target = F.one_hot(cls, NUM_CLASSES).float()
    cls_loss = F.binary_cross_entropy_with_logits(p[:, 5:], cls_target)
    obj = F.binary_cross_entropy_with_logits(det[..., 4], obj_target)
    return W_BOX * box + W_OBJ * obj + W_CLS * cls_loss


def predict(model, images, mean, std, batch=256):
    model.eval()
    segs, dets = [], []
    with torch.no_grad():
        for i in range(0, len(images), batch):
            s, d = model(normalize(images[i:i + batch], mean, std))
            segs.append(s.numpy())
            dets.append(d.numpy())
    return np.concatenate(segs), np.concatenate(dets)


def evaluate(seg, det, masks, boxes):
    m, _ = scenes_metrics.miou(seg, masks, NUM_CLASSES + 1)
    dets = [scenes_metrics.detections(d, ANCHORS, GRID, INPUT) for d in det]
    ap, _ = scenes_metrics.map50(dets, boxes, NUM_CLASSES)
    return m, ap


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="make-scenes output folder")
    ap.add_argument("--epochs", type=int, default=10)
    ap.add_argument("--batch", type=int, default=64)
    ap.add_argument("--lr", type=float, default=3e-3)
    ap.add_argument("--limit", type=int, default=None, help="first N training canvases (a quick look)")
    ap.add_argument("--out", default=HERE, help="where fmnist-scenes.{pt,onnx,json} go")
    args = ap.parse_args()
    torch.set_num_threads(2)
    torch.manual_seed(14)
    rng = np.random.default_rng(14)
    t0 = time.time()

    train_x, train_m, train_b = scenes_data.load_split(args.data, "train", args.limit)
    test_x, test_m, test_b = scenes_data.load_split(args.data, "test")
    classes = scenes_data.class_names(args.data)
    mean, std = float(train_x.mean() / 255.0), float(train_x.std() / 255.0)
    print(f"data: {len(train_x)} train, {len(test_x)} test canvases, mean {mean:.6f} std {std:.6f} ({time.time() - t0:.0f} s)", flush=True)

    model = SceneTeacher()
    opt = torch.optim.AdamW(model.parameters(), lr=args.lr, weight_decay=1e-4)
    steps = args.epochs * ((len(train_x) + args.batch - 1) // args.batch)
    sched = torch.optim.lr_scheduler.OneCycleLR(opt, max_lr=args.lr, total_steps=steps, pct_start=0.2)
    train_m_head = scenes_metrics.mask_to_head(train_m, 16, 16).astype(np.int64)
    for epoch in range(args.epochs):
        model.train()
        order = rng.permutation(len(train_x))
        total, count = 0.0, 0
        for start in range(0, len(order), args.batch):
            idx = order[start:start + args.batch]
            x, m = train_x[idx], train_m_head[idx]
            b = [train_b[i].copy() for i in idx]
            flip = rng.random(len(idx)) < 0.5                       # horizontal flip: image, mask and boxes
            x = np.where(flip[:, None, None], x[:, :, ::-1], x)
            m = np.where(flip[:, None, None], m[:, :, ::-1], m)
            for k in np.nonzero(flip)[0]:
                b[k][:, 1] = 1.0 - b[k][:, 1]
            seg, det = model(normalize(np.ascontiguousarray(x), mean, std))
            loss = F.cross_entropy(seg, torch.from_numpy(np.ascontiguousarray(m))) + det_loss(det, b)
            opt.zero_grad()
            loss.backward()
            opt.step()
            sched.step()
            total += float(loss) * len(idx)
            count += len(idx)
        seg, det = predict(model, test_x, mean, std)
        miou, map50 = evaluate(seg, det, test_m, test_b)
        print(f"epoch {epoch + 1}/{args.epochs}: loss {total / count:.4f}, test mIoU {miou:.4f}, mAP@0.5 {map50:.4f} ({time.time() - t0:.0f} s)", flush=True)

    model.eval()
    torch.save(model.state_dict(), os.path.join(args.out, "fmnist-scenes.pt"))
    onnx_path = os.path.join(args.out, "fmnist-scenes.onnx")
    torch.onnx.export(model, normalize(test_x[:2], mean, std), onnx_path, input_names=["input"], output_names=["seg", "det"],
                      dynamic_axes={"input": {0: "batch"}, "seg": {0: "batch"}, "det": {0: "batch"}}, opset_version=17)
    seg, det = predict(model, test_x, mean, std)
    test_miou, test_map = evaluate(seg, det, test_m, test_b)
    seg_tr, det_tr = predict(model, train_x[:2000], mean, std)
    train_miou, train_map = evaluate(seg_tr, det_tr, train_m[:2000], train_b[:2000])
    write_card(args, classes, mean, std, test_miou, test_map, train_miou, train_map, time.time() - t0)
    print(f"test mIoU {test_miou:.4f}, mAP@0.5 {test_map:.4f}; first 2000 train canvases mIoU {train_miou:.4f}, mAP@0.5 {train_map:.4f}; {time.time() - t0:.0f} s")


def write_card(args, classes, mean, std, test_miou, test_map, train_miou, train_map, seconds):
    with open(os.path.join(args.data, "scenes.json")) as f:
        scenes = json.load(f)
    k = NUM_CLASSES
    card = {
        "model": "fmnist-scenes.onnx",
        "task": "Fashion-MNIST scenes: semantic segmentation (11 classes, 0 = background) and YOLO-style detection of 10 garment classes",
        "exported_with": f"torch.onnx.export (TorchScript-based exporter), opset 17, PyTorch {torch.__version__}, dynamic batch axis",
        "architecture": "residual backbone: 3x3 conv stride 2 (24), basic blocks 32 (stride 1), 64 (stride 2), 128 (stride 2); "
                        "seg head at stride 4: stride-4 features + nearest-upsampled 1x1 projection of stride-8 features, 3x3 conv-BN-ReLU 64, 1x1 conv 11; "
                        "det head at stride 8: 3x3 conv-BN-ReLU 96, 1x1 conv 3 x 15",
        "parameters": sum(p.numel() for p in SceneTeacher().parameters()),
        "input": {
            "name": "input", "shape": ["batch", 1, INPUT, INPUT], "dtype": "float32",
            "preprocess": "x = (pixel / 255 - mean) / std, pixels of the 8-bit greyscale canvas PNG (row-major 64x64)",
            "mean": round(mean, 7), "std": round(std, 7),
        },
        "outputs": {
            "seg": {
                "shape": ["batch", k + 1, 16, 16], "dtype": "float32", "stride": 4,
                "meaning": "raw per-class logits (no softmax) per 4x4 cell; channel 0 = background, channel c + 1 = classes[c]",
            },
            "det": {
                "shape": ["batch", len(ANCHORS) * GRID * GRID, 5 + k], "dtype": "float32", "stride": STRIDE, "grid": [GRID, GRID],
                "anchor_index": "row r = a * 64 + gy * 8 + gx: anchor a, grid row gy, grid column gx (anchor-major, as YOLOv5)",
                "values": ["tx", "ty", "tw", "th", "objectness"] + [f"class {c}" for c in range(k)],
                "meaning": "all raw (no sigmoid applied). Decode (YOLOv5): cx = (2 sigmoid(tx) - 0.5 + gx) * 8, cy = (2 sigmoid(ty) - 0.5 + gy) * 8, "
                           "w = (2 sigmoid(tw))^2 * anchors[a][0], h = (2 sigmoid(th))^2 * anchors[a][1], in input pixels (divide by 64 for YOLO's "
                           "normalized boxes); class = argmax of the class logits; score = sigmoid(objectness) * sigmoid(class logit)",
            },
        },
        "anchors": [list(a) for a in ANCHORS],
        "anchors_meaning": "(width, height) in input pixels, k-means (IoU distance) of the training boxes",
        "classes": classes,
        "metrics": {
            "test": {"miou": round(test_miou, 4), "map50": round(test_map, 4)},
            "train_first_2000": {"miou": round(train_miou, 4), "map50": round(train_map, 4)},
            "miou": "11 classes (background included), one confusion matrix over the split, prediction = argmax of seg, truth = mask "
                    "resized to 16x16 by nearest neighbour with half-pixel centres (pixel 4i + 2); classes absent from both prediction and "
                    "truth are left out of the mean",
            "map50": f"PASCAL VOC all-point AP at IoU 0.5 averaged over classes with ground truth; detections with score > "
                     f"{scenes_metrics.CONF_THRESHOLD}, per-class NMS at IoU {scenes_metrics.NMS_IOU}",
        },
        "training": f"{args.epochs} epochs AdamW lr {args.lr} one-cycle, weight decay 1e-4, batch {args.batch}, horizontal flip; "
                    f"loss = cross-entropy(seg) + {W_BOX} (1 - GIoU) + {W_OBJ} BCE(objectness) + {W_CLS} BCE(classes); "
                    f"{seconds / 60:.0f} minutes on 2 CPU threads (train.py)",
        "data": f"make-scenes --seed {scenes['seed']} --train {scenes['splits']['train']['count']} --test {scenes['splits']['test']['count']} "
                "(tools/make-scenes) from the Debian package dataset-fashion-mnist",
    }
    with open(os.path.join(args.out, "fmnist-scenes.json"), "w") as f:
        json.dump(card, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
