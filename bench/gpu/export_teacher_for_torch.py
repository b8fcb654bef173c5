#!/usr/bin/python3
"""Turns an ONNX teacher into a file PyTorch can run without the onnx package: the node list (op, inputs, outputs,
attributes) and the initializers as tensors, saved with torch.save. Run here with Debian's python3-onnx/python3-torch;
bench/gpu/torch_teacher.py rebuilds the network from it on the GPU machine.
Usage: /usr/bin/python3 bench/gpu/export_teacher_for_torch.py models/fmnist-resnet/fmnist-resnet.onnx .gpu/teacher-torch.pt"""
import sys
import onnx
import torch
from onnx import numpy_helper

model = onnx.load(sys.argv[1])
g = model.graph
weights = {t.name: torch.from_numpy(numpy_helper.to_array(t).copy()) for t in g.initializer}
nodes = [{"op": n.op_type, "inputs": list(n.input), "outputs": list(n.output),
          "attrs": {a.name: onnx.helper.get_attribute_value(a) for a in n.attribute}} for n in g.node]
supported = {"Conv", "Relu", "Add", "GlobalAveragePool", "Flatten", "Gemm", "MaxPool", "AveragePool", "BatchNormalization"}
missing = {n["op"] for n in nodes} - supported
if missing:
    sys.exit(f"unsupported ops for the torch rebuild: {sorted(missing)}")
inputs = [i.name for i in g.input if i.name not in weights]
torch.save({"nodes": nodes, "weights": weights, "input": inputs[0], "output": g.output[0].name}, sys.argv[2])
print(f"{len(nodes)} nodes, {len(weights)} tensors -> {sys.argv[2]}")
