#!/usr/bin/python3
"""PyTorch's values of two inner tensors of the default teacher (models/fmnist-resnet) for the first 32 Fashion-MNIST
test images: the pooled features /Flatten_output_0 [128] and, for the first 2 images, the last block
/l3/l3.1/Relu_1_output_0 [128, 7, 7]. The network is rebuilt in PyTorch from the ONNX file's nodes and weights (no
ONNX Runtime), and its logits are checked against fmnist-resnet.reference-logits.json (PyTorch's logits of the
original model) first. Run with Debian's PyTorch and onnx:
    /usr/bin/python3 tests/Distill.Teacher.Tests/data/make_fmnist_features.py"""
import gzip, json, os
import numpy as np
import onnx
import torch
import torch.nn.functional as F
from onnx import numpy_helper

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.join(HERE, "..", "..", "..")
MODEL = os.path.join(ROOT, "models", "fmnist-resnet", "fmnist-resnet.onnx")
N = 32
torch.set_num_threads(2)

card = json.load(open(os.path.join(ROOT, "models", "fmnist-resnet", "fmnist-resnet.json")))
with gzip.open("/usr/share/datasets/fashion-mnist/t10k-images-idx3-ubyte.gz", "rb") as f:
    images = np.frombuffer(f.read()[16:], dtype=np.uint8).reshape(-1, 1, 28, 28)[:N]
x = torch.tensor((images.astype(np.float32) / 255.0 - card["input"]["mean"]) / card["input"]["std"])

graph = onnx.load(MODEL).graph
env = {graph.input[0].name: x}
env.update({t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in graph.initializer})
with torch.no_grad():
    for n in graph.node:
        a = {at.name: onnx.helper.get_attribute_value(at) for at in n.attribute}
        i = [env[k] for k in n.input]
        if n.op_type == "Conv":
            p = a.get("pads", [0, 0, 0, 0])
            assert p[:2] == p[2:], p
            y = F.conv2d(i[0], i[1], i[2], a.get("strides", [1, 1]), p[:2], a.get("dilations", [1, 1]), a.get("group", 1))
        elif n.op_type == "Relu": y = F.relu(i[0])
        elif n.op_type == "Add": y = i[0] + i[1]
        elif n.op_type == "GlobalAveragePool": y = i[0].mean(dim=(2, 3), keepdim=True)
        elif n.op_type == "Flatten": y = i[0].flatten(a.get("axis", 1))
        elif n.op_type == "Gemm":
            assert a.get("transB", 0) == 1 and a.get("alpha", 1.0) == 1.0 and a.get("beta", 1.0) == 1.0, a
            y = F.linear(i[0], i[1], i[2])
        else: raise SystemExit(f"op {n.op_type} is not rebuilt")
        env[n.output[0]] = y

reference = json.load(open(os.path.join(HERE, "fmnist-resnet.reference-logits.json")))["logits"][:N]
diff = (env["logits"] - torch.tensor(reference)).abs().max().item()
assert diff < 1e-4, f"the rebuilt teacher's logits differ from PyTorch's by {diff}"
out = {
    "note": f"PyTorch (rebuilt from the ONNX nodes) inner tensors of fmnist-resnet for the first {N} t10k images, "
            f"preprocessed as in fmnist-resnet.json; max |logits - reference logits| = {diff:.1e}",
    "/Flatten_output_0": env["/Flatten_output_0"].tolist(),
    "/l3/l3.1/Relu_1_output_0": env["/l3/l3.1/Relu_1_output_0"][:2].reshape(2, -1).tolist(),
}
with open(os.path.join(HERE, "fmnist-resnet.reference-features.json"), "w") as f:
    json.dump(out, f)
print(out["note"])
