"""The ONNX teacher rebuilt in PyTorch from export_teacher_for_torch.py's file (nodes + weights), shared by
torch_teacher.py and torch_student.py. Covers the ops that file allows; anything else stops with its name."""
import torch
import torch.nn.functional as F


def load_teacher(path, dev, outputs=None):
    """Returns run(x) -> logits for the network saved at `path`, with its weights on `dev`; with `outputs` (tensor
    names of the graph, e.g. ["logits", "/Flatten_output_0"]) run(x) returns those tensors instead."""
    spec = torch.load(path)
    weights = {k: v.to(dev) for k, v in spec["weights"].items()}

    def run(x):
        env = {spec["input"]: x}
        for n in spec["nodes"]:
            a, i = n["attrs"], [env[k] if k in env else weights[k] for k in n["inputs"] if k]
            op = n["op"]
            if op == "Conv":
                p = a.get("pads", [0, 0, 0, 0])
                y = F.conv2d(i[0], i[1], i[2] if len(i) > 2 else None, a.get("strides", [1, 1]), (p[0], p[1]),
                             a.get("dilations", [1, 1]), a.get("group", 1))
            elif op == "Relu": y = F.relu(i[0])
            elif op == "Add": y = i[0] + i[1]
            elif op == "GlobalAveragePool": y = i[0].mean(dim=(2, 3), keepdim=True)
            elif op == "Flatten": y = i[0].flatten(a.get("axis", 1))
            elif op == "Gemm":
                w = i[1].t() if a.get("transB", 0) else i[1]
                y = a.get("alpha", 1.0) * (i[0] @ w) + (a.get("beta", 1.0) * i[2] if len(i) > 2 else 0)
            elif op == "MaxPool": y = F.max_pool2d(i[0], a["kernel_shape"], a.get("strides"), a.get("pads", [0, 0])[0])
            elif op == "AveragePool": y = F.avg_pool2d(i[0], a["kernel_shape"], a.get("strides"), a.get("pads", [0, 0])[0])
            elif op == "BatchNormalization": y = F.batch_norm(i[0], i[3], i[4], i[1], i[2], False, 0.0, a.get("epsilon", 1e-5))
            else: raise SystemExit(f"op {op}")
            env[n["outputs"][0]] = y
        return env[spec["output"]] if outputs is None else [env[spec["output"]] if o == "logits" else env[o] for o in outputs]

    return run
