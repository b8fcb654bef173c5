"""A 1,000-class teacher for the encoding benchmarks: Fashion-MNIST images [N,1,28,28] -> flatten -> linear 784 -> 1000,
seeded random weights scaled so a row's logits spread over several units like a trained classifier's (a few classes
stand out, the rest form a tail). Written with the onnx helper (no torch needed); its card gives the preprocessing.
Usage: /usr/bin/python3 bench/encodings/make_teacher.py   ->  bench/encodings/out/linear-1000.onnx (+ .json)
"""
import json
import os

import numpy as np
import onnx
from onnx import TensorProto, helper, numpy_helper

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "out")
os.makedirs(out, exist_ok=True)
rng = np.random.default_rng(17)
classes = 1000
w = (rng.standard_normal((784, classes)) * 0.12).astype(np.float32)
b = (rng.standard_normal(classes) * 1.5).astype(np.float32)
graph = helper.make_graph(
    [helper.make_node("Flatten", ["input"], ["flat"], axis=1), helper.make_node("Gemm", ["flat", "w", "b"], ["logits"])],
    "linear1000",
    [helper.make_tensor_value_info("input", TensorProto.FLOAT, ["batch", 1, 28, 28])],
    [helper.make_tensor_value_info("logits", TensorProto.FLOAT, ["batch", classes])],
    [numpy_helper.from_array(w, "w"), numpy_helper.from_array(b, "b")],
)
model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 13)])
model.ir_version = 8
onnx.checker.check_model(model)
onnx.save(model, os.path.join(out, "linear-1000.onnx"))
card = {
    "model": "linear-1000.onnx",
    "task": "benchmark only: 1,000 classes of random weights on Fashion-MNIST pixels",
    "input": {"name": "input", "shape": ["batch", 1, 28, 28], "mean": 0.2860406, "std": 0.3530242},
    "output": {"name": "logits", "shape": ["batch", classes]},
}
with open(os.path.join(out, "linear-1000.json"), "w") as f:
    json.dump(card, f, indent=1)
print("wrote", os.path.join(out, "linear-1000.onnx"))
