"""The reference students trained in PyTorch on the GPU machine, for the same-GPU comparison with
`train-student --device cuda` (issue 8). Same recipe as ../shared/reference/fmnist-students.json: Adam 1e-3, batch 128,
20 epochs, no augmentation, kd = 0.1 CE + 0.9 KD(T=4), dkd = CE + min(epoch/5,1)·DKD(1, 8, T=4). The teacher logits
come from the teacher rebuilt in PyTorch (onnx_torch.py), computed once before timing, as a cache.
Batches are copied from pinned host memory each step, like train-student does. No torch.compile.
Usage: python torch_student.py teacher-torch.pt IDX_DIR STUDENT LOSS [EPOCHS] [SEED]; prints one JSON line."""
import gzip, json, os, struct, sys, time
import torch
from onnx_torch import load_teacher
sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), ".."))
from torch_reference import student, loss_fn  # noqa: E402

spec_path, idx_dir, student_name, loss_name = sys.argv[1:5]
epochs = int(sys.argv[5]) if len(sys.argv) > 5 else 20
seed = int(sys.argv[6]) if len(sys.argv) > 6 else 1
torch.backends.cudnn.allow_tf32 = False
torch.backends.cuda.matmul.allow_tf32 = False
dev = torch.device("cuda" if torch.cuda.is_available() else "cpu")  # cpu: a local check of this script
torch.manual_seed(seed)

def load(prefix):
    with gzip.open(f"{idx_dir}/{prefix}-images-idx3-ubyte.gz") as f:
        _, n, h, w = struct.unpack(">IIII", f.read(16))
        x = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).reshape(n, 1, h, w)
    with gzip.open(f"{idx_dir}/{prefix}-labels-idx1-ubyte.gz") as f:
        f.read(8)
        y = torch.frombuffer(bytearray(f.read()), dtype=torch.uint8).long()
    return ((x.float() / 255.0 - 0.2860406) / 0.3530242), y

x_train, y_train = load("train")
x_test, y_test = load("t10k")

# Teacher logits once (the "cache"), with the ONNX teacher rebuilt in PyTorch.
teacher = load_teacher(spec_path, dev)
with torch.inference_mode():
    t_train = torch.cat([teacher(x_train[s:s + 1000].to(dev)).cpu() for s in range(0, len(x_train), 1000)])
if dev.type == "cuda": x_train, y_train, t_train = x_train.pin_memory(), y_train.pin_memory(), t_train.pin_memory()

model = student(student_name).to(dev)
opt = torch.optim.Adam(model.parameters(), lr=1e-3)
n = len(y_train)
epoch_seconds, accs = [], []
for epoch in range(1, epochs + 1):
    model.train()
    dev.type == "cuda" and torch.cuda.synchronize()
    start = time.perf_counter()
    perm = torch.randperm(n)
    for b in range(0, n, 128):
        idx = perm[b:b + 128]
        x = x_train[idx].to(dev, non_blocking=True); y = y_train[idx].to(dev, non_blocking=True)
        s = model(x)
        loss = loss_fn(loss_name, s, lambda: t_train[idx].to(dev, non_blocking=True), y, epoch)
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
    dev.type == "cuda" and torch.cuda.synchronize()
    epoch_seconds.append(time.perf_counter() - start)
    model.eval()
    with torch.inference_mode():
        correct = sum((model(x_test[s:s + 1000].to(dev)).argmax(1).cpu() == y_test[s:s + 1000]).sum().item() for s in range(0, len(y_test), 1000))
    accs.append(correct / len(y_test))
print(json.dumps({"framework": f"PyTorch {torch.__version__}", "gpu": torch.cuda.get_device_name(0) if dev.type == "cuda" else "cpu", "student": student_name,
                  "loss": loss_name, "epochs": epochs, "seed": seed, "epoch_seconds": epoch_seconds,
                  "median_epoch_seconds": sorted(epoch_seconds[1:] or epoch_seconds)[len(epoch_seconds[1:] or epoch_seconds) // 2],
                  "final_test_acc": accs[-1]}))
