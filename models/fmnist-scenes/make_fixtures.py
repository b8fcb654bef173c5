"""Writes the test fixtures of the fmnist-scenes teacher into tests/Shared/fmnist-scenes/: PyTorch's outputs on the
first N test canvases (seg.npy [N, 11, 16, 16], det.npy [N, 192, 15], float32) and the metrics of scenes_metrics.py on
them (metrics.json). The C# tests compare ONNX Runtime's cached outputs and the C# metrics with these.

    /usr/bin/python3 models/fmnist-scenes/make_fixtures.py --data data/fmnist-scenes
With --out DIR --count 256 it writes the outputs for the acceptance check (check_cache.sh) instead.
"""
import argparse
import json
import os

import numpy as np
import torch

import scenes_data
import scenes_metrics
from scenes_model import ANCHORS, GRID, NUM_CLASSES, SceneTeacher

HERE = os.path.dirname(os.path.abspath(__file__))


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", required=True, help="make-scenes output (seed 14)")
    ap.add_argument("--count", type=int, default=32)
    ap.add_argument("--out", default=os.path.join(HERE, "..", "..", "tests", "Shared", "fmnist-scenes"))
    args = ap.parse_args()
    torch.set_num_threads(2)
    with open(os.path.join(HERE, "fmnist-scenes.json")) as f:
        card = json.load(f)
    model = SceneTeacher()
    model.load_state_dict(torch.load(os.path.join(HERE, "fmnist-scenes.pt")))
    model.eval()
    images, masks, boxes = scenes_data.load_split(args.data, "test", args.count)
    x = (torch.from_numpy(images).float().unsqueeze(1) / 255.0 - card["input"]["mean"]) / card["input"]["std"]
    with torch.no_grad():
        seg, det = (t.numpy() for t in model(x))
    os.makedirs(args.out, exist_ok=True)
    np.save(os.path.join(args.out, "seg.npy"), seg.astype(np.float32))
    np.save(os.path.join(args.out, "det.npy"), det.astype(np.float32))
    miou, ious = scenes_metrics.miou(seg, masks, NUM_CLASSES + 1)
    dets = [scenes_metrics.detections(d, ANCHORS, GRID, images.shape[-1]) for d in det]
    map50, aps = scenes_metrics.map50(dets, boxes, NUM_CLASSES)
    with open(os.path.join(args.out, "metrics.json"), "w") as f:
        json.dump({
            "what": f"PyTorch outputs of models/fmnist-scenes on the first {args.count} test canvases of make-scenes --seed 14 "
                    "and scenes_metrics.py on them (make_fixtures.py)",
            "canvases": args.count,
            "miou": miou, "iou_per_class": ious,
            "map50": map50, "ap_per_class": aps,
            "detections": int(sum(len(d[1]) for d in dets)),
            "conf_threshold": scenes_metrics.CONF_THRESHOLD, "nms_iou": scenes_metrics.NMS_IOU, "match_iou": scenes_metrics.MATCH_IOU,
        }, f, indent=1)
        f.write("\n")
    print(f"{args.count} canvases: mIoU {miou:.6f}, mAP@0.5 {map50:.6f}, {sum(len(d[1]) for d in dets)} detections -> {args.out}")


if __name__ == "__main__":
    main()
