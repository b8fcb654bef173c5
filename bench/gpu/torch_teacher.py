"""The same teacher in PyTorch on the GPU machine, rebuilt from export_teacher_for_torch.py's file, timed on the
Fashion-MNIST split the way precompute-logits runs it (batches of 256 read from host memory, copied to the GPU,
logits copied back), and checked against PyTorch 2.11's reference logits. No torch.compile; TF32 off (as our
ONNX Runtime session). Prints one JSON line.
Usage: python torch_teacher.py teacher-torch.pt IDX_DIR split reference-logits.json [batch]"""
import gzip, json, struct, sys, time
import torch
from onnx_torch import load_teacher

torch.backends.cudnn.allow_tf32 = False
torch.backends.cuda.matmul.allow_tf32 = False
idx_dir, split, ref_path = sys.argv[2], sys.argv[3], sys.argv[4]
batch = int(sys.argv[5]) if len(sys.argv) > 5 else 256
dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")  # cpu: a local check of this script
run = load_teacher(sys.argv[1], dev)

prefix = "train" if split == "train" else "t10k"
with gzip.open(f"{idx_dir}/{prefix}-images-idx3-ubyte.gz") as f:
    _, n, h, w = struct.unpack(">IIII", f.read(16))
    pixels = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).reshape(n, 1, h, w)
x_all = ((pixels.float() / 255.0 - 0.2860406) / 0.3530242)
out = torch.empty(n, 10)
if dev.type == "cuda": x_all, out = x_all.pin_memory(), out.pin_memory()

with torch.inference_mode():
    for _ in range(3): run(x_all[:batch].to(dev))
    dev.type == "cuda" and torch.cuda.synchronize()
    times = []
    for _ in range(3):
        start = time.perf_counter()
        for s in range(0, n, batch):
            out[s:s + batch].copy_(run(x_all[s:s + batch].to(dev, non_blocking=True)), non_blocking=True)
        dev.type == "cuda" and torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    ref = torch.tensor(json.load(open(ref_path))["logits"]) if split == "test" else None
    diff = (out[:512] - ref).abs().max().item() if ref is not None else None
print(json.dumps({"torch": torch.__version__, "gpu": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu", "images": n, "batch": batch,
                  "img_per_s_best": n / min(times), "img_per_s_median": n / sorted(times)[1], "max_abs_diff_vs_reference": diff}))
