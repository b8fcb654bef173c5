"""The metrics of the fmnist-scenes card, defined as src/Distill.Student/Metrics defines them (the C# tests check the
two against each other on committed teacher outputs).

Segmentation mIoU: the ground-truth mask (class index per input pixel) is resized to the head's resolution by nearest
neighbour with half-pixel centres (PyTorch's "nearest-exact": source index floor((i + 0.5) * H / h); for 64 -> 16 the
pixel 4i + 2); the prediction is the argmax over the head's channels. One confusion matrix over the whole split;
IoU_c = TP / (TP + FP + FN); a class that neither the prediction nor the truth contains anywhere in the split has no
IoU and is left out of the mean; mIoU = mean IoU of the others.

Detection mAP@0.5 (PASCAL VOC, Everingham et al., IJCV 2010; all-point interpolation of VOC2010+):
decode every anchor (YOLOv5 box parametrisation: cx = (2 sigmoid(tx) - 0.5 + gx) * stride, w = (2 sigmoid(tw))^2 * anchor_w,
all divided by the input side), class = argmax of the class logits, score = sigmoid(obj) * sigmoid(class logit);
keep scores > conf; per image and class, greedy NMS dropping boxes whose IoU with a kept higher-scored box is > nms_iou;
per class, detections of all images sorted by score (descending, stable); a detection is a true positive when its best
IoU over that image's ground truths of its class is >= 0.5 and that ground truth is not matched yet, else a false
positive; AP = area under the monotone precision envelope of the precision-recall curve; classes without ground truth
are left out of the mean (their detections are not counted anywhere); no ground truth at all: mAP is undefined (None).
"""
import numpy as np
import torch
import torchvision

CONF_THRESHOLD = 0.001
NMS_IOU = 0.5
MATCH_IOU = 0.5


def mask_to_head(masks, h, w):
    """[N, H, W] class masks -> [N, h, w] by nearest neighbour with half-pixel centres."""
    H, W = masks.shape[-2:]
    ys = np.floor((np.arange(h) + 0.5) * H / h).astype(np.int64)
    xs = np.floor((np.arange(w) + 0.5) * W / w).astype(np.int64)
    return masks[..., ys[:, None], xs[None, :]]


def miou(seg_logits, masks, num_classes):
    """seg_logits [N, C, h, w] (numpy), masks [N, H, W] class indices. Returns (mIoU, per-class IoU or None)."""
    pred = seg_logits.argmax(1).reshape(-1).astype(np.int64)
    truth = mask_to_head(masks, seg_logits.shape[2], seg_logits.shape[3]).reshape(-1).astype(np.int64)
    conf = np.bincount(truth * num_classes + pred, minlength=num_classes * num_classes).reshape(num_classes, num_classes)
    tp = np.diag(conf).astype(np.float64)
    union = conf.sum(0) + conf.sum(1) - tp
    ious = [None if union[c] == 0 else tp[c] / union[c] for c in range(num_classes)]
    present = [v for v in ious if v is not None]
    return (float(np.mean(present)) if present else None), ious


def sigmoid(x):
    return 1.0 / (1.0 + np.exp(-x))


def decode(det, anchors, grid, input_size):
    """det [A, 5+K] raw (anchor-major a*grid*grid + gy*grid + gx) -> boxes [A, 4] (x0, y0, x1, y1 normalized),
    scores [A], classes [A]."""
    na = len(anchors)
    a = np.repeat(np.arange(na), grid * grid)
    gy = np.tile(np.repeat(np.arange(grid), grid), na)
    gx = np.tile(np.arange(grid), grid * na)
    stride = input_size / grid
    s = sigmoid(det.astype(np.float64))
    aw = np.array([p[0] for p in anchors], dtype=np.float64)[a]
    ah = np.array([p[1] for p in anchors], dtype=np.float64)[a]
    cx = (2 * s[:, 0] - 0.5 + gx) * stride / input_size
    cy = (2 * s[:, 1] - 0.5 + gy) * stride / input_size
    w = (2 * s[:, 2]) ** 2 * aw / input_size
    h = (2 * s[:, 3]) ** 2 * ah / input_size
    cls = det[:, 5:].argmax(1)
    score = s[:, 4] * s[np.arange(len(det)), 5 + cls]
    boxes = np.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], 1)
    return boxes, score, cls


def detections(det, anchors, grid, input_size, conf=CONF_THRESHOLD, nms_iou=NMS_IOU):
    """One image's kept detections: boxes [D, 4], scores [D], classes [D] after the threshold and per-class NMS."""
    boxes, score, cls = decode(det, anchors, grid, input_size)
    keep = score > conf
    boxes, score, cls = boxes[keep], score[keep], cls[keep]
    if len(score) == 0:
        return boxes, score, cls
    kept = torchvision.ops.batched_nms(torch.from_numpy(boxes), torch.from_numpy(score), torch.from_numpy(cls), nms_iou).numpy()
    return boxes[kept], score[kept], cls[kept]


def iou_one_to_many(box, boxes):
    ix = np.clip(np.minimum(box[2], boxes[:, 2]) - np.maximum(box[0], boxes[:, 0]), 0, None)
    iy = np.clip(np.minimum(box[3], boxes[:, 3]) - np.maximum(box[1], boxes[:, 1]), 0, None)
    inter = ix * iy
    union = (box[2] - box[0]) * (box[3] - box[1]) + (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1]) - inter
    return inter / union


def average_precision(recall, precision):
    """VOC2010+ all-point interpolation: area under the monotone envelope of precision over recall."""
    mrec = np.concatenate([[0.0], recall, [1.0]])
    mpre = np.concatenate([[0.0], precision, [0.0]])
    for i in range(len(mpre) - 2, -1, -1):
        mpre[i] = max(mpre[i], mpre[i + 1])
    idx = np.where(mrec[1:] != mrec[:-1])[0]
    return float(np.sum((mrec[idx + 1] - mrec[idx]) * mpre[idx + 1]))


def map50(dets, truths, num_classes, match_iou=MATCH_IOU):
    """dets: per image (boxes [D, 4], scores [D], classes [D]); truths: per image [n, 5] rows (class, cx, cy, w, h).
    Returns (mAP or None, per-class AP or None)."""
    aps = []
    for c in range(num_classes):
        gts = []
        for t in truths:
            t = t[t[:, 0] == c]
            gts.append(np.stack([t[:, 1] - t[:, 3] / 2, t[:, 2] - t[:, 4] / 2, t[:, 1] + t[:, 3] / 2, t[:, 2] + t[:, 4] / 2], 1).astype(np.float64))
        npos = sum(len(g) for g in gts)
        if npos == 0:
            aps.append(None)
            continue
        cand = [(s, i, b) for i, (bx, sc, cl) in enumerate(dets) for b, s, k in zip(bx, sc, cl) if k == c]
        order = sorted(range(len(cand)), key=lambda j: -cand[j][0])   # stable: ties keep image order
        matched = [np.zeros(len(g), bool) for g in gts]
        tp = np.zeros(len(cand))
        for rank, j in enumerate(order):
            _, i, b = cand[j]
            if len(gts[i]) == 0:
                continue
            ious = iou_one_to_many(b, gts[i])
            best = int(np.argmax(ious))
            if ious[best] >= match_iou and not matched[i][best]:
                matched[i][best] = True
                tp[rank] = 1
        ctp = np.cumsum(tp)
        recall = ctp / npos
        precision = ctp / np.arange(1, len(cand) + 1)
        aps.append(average_precision(recall, precision))
    present = [v for v in aps if v is not None]
    return (float(np.mean(present)) if present else None), aps
