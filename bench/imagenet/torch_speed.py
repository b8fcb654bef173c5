#!/usr/bin/python3
"""PyTorch's side of benchmark (a): its best CPU inference of the fixture's ResNet-18,
torch.jit.optimize_for_inference(torch.jit.trace(model.eval())), on the same pre-decoded 224x224 images
(OUT/decoded-224.npy, normalized as the card says), same batch size and threads as precompute-logits' bench.
Prints one line per round: "torch img/s: X (CPU s: Y)": the images/s of one pass over all images after a warm-up
pass, and the process's CPU seconds in that pass (which hardly change with other load on the machine).
    /usr/bin/python3 bench/imagenet/torch_speed.py [--out DIR] [--batch 64] [--threads 2] [--rounds 1] [--limit N]"""
import argparse, os, time
import numpy as np
import torch
import torchvision

p = argparse.ArgumentParser()
p.add_argument("--out", default=os.path.join(os.path.dirname(os.path.abspath(__file__)), "out"))
p.add_argument("--batch", type=int, default=64)
p.add_argument("--threads", type=int, default=2)
p.add_argument("--rounds", type=int, default=1)
p.add_argument("--limit", type=int, default=0)
a = p.parse_args()
torch.set_num_threads(a.threads)
torch.set_num_interop_threads(1)

model = torchvision.models.resnet18(weights=None, num_classes=1000)
model.load_state_dict(torch.load(os.path.join(a.out, "resnet18.pt")))
images = np.load(os.path.join(a.out, "decoded-224.npy"), mmap_mode="r")
n = min(a.limit, len(images)) if a.limit > 0 else len(images)
mean = torch.tensor([0.485, 0.456, 0.406]).view(1, 3, 1, 1)
std = torch.tensor([0.229, 0.224, 0.225]).view(1, 3, 1, 1)
# Preprocessed before timing: the same pre-decoded batches, inference alone.
batches = [(torch.from_numpy(np.array(images[s:s + a.batch])).float() / 255 - mean) / std for s in range(0, n, a.batch)]
with torch.no_grad():
    fast = torch.jit.optimize_for_inference(torch.jit.trace(model.eval(), batches[0]))
    for x in batches:  # warm-up: the first calls of a frozen module specialize it
        fast(x)
    for _ in range(a.rounds):
        start, cpu = time.perf_counter(), time.process_time()
        for x in batches:
            fast(x)
        print(f"torch img/s: {n / (time.perf_counter() - start):.2f} (CPU s: {time.process_time() - cpu:.2f})", flush=True)
