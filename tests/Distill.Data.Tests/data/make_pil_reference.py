#!/usr/bin/python3
"""The independent reference for folder: datasets' decoding, resizing and cropping: small PNG and JPEG files written
with PIL, and what torchvision 0.14 + PIL 9.4 (Debian: python3-torchvision, python3-pil) make of each one with
ImageFolder's loader (PIL open + convert("RGB")) followed by Resize / CenterCrop / Grayscale. Run once:
    /usr/bin/python3 tests/Distill.Data.Tests/data/make_pil_reference.py
The files and cases.json are committed; rerunning gives the same bytes."""
import base64, json, os
import numpy as np
from PIL import Image
import torchvision.transforms as T

HERE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "pil-reference")
rng = np.random.default_rng(17)


def photo_like(w, h):
    """Smooth colour gradients, a few soft blobs, fine noise: compresses (and blurs under JPEG) like a photo."""
    y, x = np.mgrid[0:h, 0:w].astype(np.float64)
    img = np.zeros((h, w, 3))
    for c in range(3):
        a, b, p = rng.uniform(-2, 2, 3)
        img[..., c] = 128 + 60 * np.sin(a * x / w * 3 + p) * np.cos(b * y / h * 3)
    for _ in range(4):
        cx, cy, r = rng.uniform(0, w), rng.uniform(0, h), rng.uniform(3, max(4, min(w, h) / 2))
        img += np.exp(-((x - cx) ** 2 + (y - cy) ** 2) / (2 * r * r))[..., None] * rng.uniform(-90, 90, 3)
    img += rng.normal(0, 6, img.shape)
    return np.clip(np.rint(img), 0, 255).astype(np.uint8)


def write(name, w, h, **save):
    Image.fromarray(photo_like(w, h)).save(os.path.join(HERE, name), **save)


os.makedirs(HERE, exist_ok=True)
write("wide.png", 37, 23)
write("tall.png", 23, 37)
write("strip.png", 300, 40)
write("square.png", 50, 50)
write("odd.png", 41, 30)
write("photo420.jpg", 61, 45, quality=85)                  # PIL's default 4:2:0 chroma subsampling
write("photo444.jpg", 45, 61, quality=95, subsampling=0)   # 4:4:4
write("large.jpg", 300, 200, quality=90)
write("progressive.jpg", 52, 39, quality=80, progressive=True)
write("photo422.jpg", 39, 52, quality=75, subsampling=1)
# A grayscale JPEG: convert("RGB") repeats the one channel.
Image.fromarray(photo_like(30, 20)[..., 1], "L").save(os.path.join(HERE, "gray.jpg"), quality=90)
# An RGBA PNG: ImageFolder's convert("RGB") drops alpha before resizing.
rgba = np.dstack([photo_like(33, 27), rng.integers(0, 256, (27, 33), dtype=np.uint8)])
Image.fromarray(rgba, "RGBA").save(os.path.join(HERE, "rgba.png"))

# (file, folder options as in the spec, torchvision transforms applied to the RGB image, channels)
cases = [
    ("wide.png", "resize=short:16,crop=center:12", [T.Resize(16), T.CenterCrop(12)], 3),
    ("tall.png", "resize=short:30,crop=center:28x24", [T.Resize(30), T.CenterCrop((28, 24))], 3),      # enlarging
    ("strip.png", "resize=short:9,crop=center:9x60", [T.Resize(9), T.CenterCrop((9, 60))], 3),         # 4.4x smaller
    ("square.png", "crop=center:60", [T.CenterCrop(60)], 3),                                             # zero padding
    ("odd.png", "crop=center:21x24", [T.CenterCrop((21, 24))], 3),                                       # .5 offsets round to even
    ("wide.png", "resize=short:16,crop=center:20", [T.Resize(16), T.CenterCrop(20)], 3),                # pad one axis, crop the other
    ("square.png", "size=20x70", [T.Resize((70, 20))], 3),                                               # stretch: down and up
    ("odd.png", "size=41x12", [T.Resize((12, 41))], 3),                                                  # vertical pass only
    ("odd.png", "size=17x30", [T.Resize((30, 17))], 3),                                                  # horizontal pass only
    ("rgba.png", "resize=short:20,crop=center:18", [T.Resize(20), T.CenterCrop(18)], 3),
    ("tall.png", "resize=short:12,crop=center:12,channels=1", [T.Resize(12), T.CenterCrop(12), T.Grayscale(1)], 1),
    ("photo420.jpg", "", [], 3),
    ("photo444.jpg", "", [], 3),
    ("progressive.jpg", "", [], 3),
    ("photo422.jpg", "", [], 3),
    ("gray.jpg", "", [], 3),
    ("photo420.jpg", "resize=short:32,crop=center:28", [T.Resize(32), T.CenterCrop(28)], 3),
    ("large.jpg", "resize=short:112,crop=center:100", [T.Resize(112), T.CenterCrop(100)], 3),   # ImageNet's 1.8x reduction
]
out = []
for name, options, transforms, channels in cases:
    img = Image.open(os.path.join(HERE, name)).convert("RGB")
    img = T.Compose(transforms)(img) if transforms else img
    a = np.asarray(img, dtype=np.uint8)
    a = a[..., None] if a.ndim == 2 else a
    h, w, c = a.shape
    assert c == channels
    out.append({"file": name, "options": options, "width": w, "height": h, "channels": c,
                # channels first, as the dataset returns samples
                "pixels": base64.b64encode(np.ascontiguousarray(a.transpose(2, 0, 1)).tobytes()).decode()})
with open(os.path.join(HERE, "cases.json"), "w") as f:
    json.dump({"made_with": "torchvision 0.14 + PIL 9.4 (Resize on PIL images = Image.resize BILINEAR)", "cases": out}, f, indent=1)
print(f"{len(out)} cases in {HERE}")
