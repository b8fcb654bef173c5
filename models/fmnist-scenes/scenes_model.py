"""The fmnist-scenes teacher: a small residual backbone (He et al., CVPR 2016) with a segmentation head at stride 4
and a YOLO-style detection head (Redmon and Farhadi 2017; box decoding of YOLOv5) at stride 8."""
import torch
import torch.nn as nn
import torch.nn.functional as F

NUM_CLASSES = 10                      # garment classes; the segmentation head adds background (index 0)
ANCHORS = [(14, 21), (24, 14), (26, 31)]  # (w, h) in input pixels: k-means (IoU) of the training boxes, seed 14
STRIDE = 8                            # detection grid 8x8 on a 64x64 input
GRID = 8


class Block(nn.Module):
    """Basic residual block: two 3x3 conv-BN, ReLU, 1x1 projection when the shape changes."""

    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.short = None
        if stride != 1 or cin != cout:
            self.short = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        y = F.relu(self.bn1(self.conv1(x)))
        y = self.bn2(self.conv2(y))
        return F.relu(y + (x if self.short is None else self.short(x)))


def conv_bn_relu(cin, cout):
    return nn.Sequential(nn.Conv2d(cin, cout, 3, 1, 1, bias=False), nn.BatchNorm2d(cout), nn.ReLU(inplace=True))


class SceneTeacher(nn.Module):
    """input [N, 1, 64, 64] -> seg [N, 11, 16, 16] (raw class logits, 0 = background),
    det [N, 3*8*8, 15] (raw: tx, ty, tw, th, objectness, 10 class logits; anchor-major: a*64 + gy*8 + gx)."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(1, 24, 3, 2, 1, bias=False), nn.BatchNorm2d(24), nn.ReLU(inplace=True))  # 32x32
        self.layer1 = Block(24, 32, 1)            # 32x32
        self.layer2 = Block(32, 64, 2)            # 16x16 (stride 4)
        self.layer3 = Block(64, 128, 2)           # 8x8 (stride 8)
        self.lateral = nn.Conv2d(128, 64, 1)      # top-down context for the segmentation head
        self.seg_head = nn.Sequential(conv_bn_relu(64, 64), nn.Conv2d(64, NUM_CLASSES + 1, 1))
        self.det_head = nn.Sequential(conv_bn_relu(128, 96), nn.Conv2d(96, len(ANCHORS) * (5 + NUM_CLASSES), 1))

    def forward(self, x):
        c2 = self.layer2(self.layer1(self.stem(x)))
        c3 = self.layer3(c2)
        seg = self.seg_head(c2 + F.interpolate(self.lateral(c3), scale_factor=2.0, mode="nearest"))
        d = self.det_head(c3)                                     # [N, A*(5+K), 8, 8]
        n = d.shape[0]
        det = d.view(n, len(ANCHORS), 5 + NUM_CLASSES, GRID, GRID).permute(0, 1, 3, 4, 2)
        return seg, det.reshape(n, len(ANCHORS) * GRID * GRID, 5 + NUM_CLASSES)
