#!/usr/bin/python3
"""Exports small PyTorch models to ONNX with reference inputs and outputs (tests/fixtures/onnx/).

Run with Debian's python (torch 1.13 + onnx):  /usr/bin/python3 tools/reference/onnx_models.py

Each model gets a folder with:
  model.onnx            opset 17, dim 0 of input and output named "batch" (dynamic_axes)
  input_bN.npy          float32 inputs at batch N (N = 1 and 3), drawn from NumPy with a fixed seed
  output_bN.npy         PyTorch's outputs for those inputs (eval mode)
  case.json             the model's description
Models: an MLP, a CNN with BatchNorm (exported as BatchNormalization nodes: TrainingMode.PRESERVE keeps PyTorch from
folding them into the convolutions), a residual block (Conv-BN-ReLU-Conv-BN + identity, ReLU).
"""
import json
import os
import sys

import numpy as np
import onnx
import torch
import torch.nn as nn

OUT = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "tests", "fixtures", "onnx")


class Mlp(nn.Module):
    def __init__(self):
        super().__init__()
        self.net = nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 16), nn.Tanh(), nn.Linear(16, 5))

    def forward(self, x):
        return torch.softmax(self.net(x), dim=1)


class CnnBn(nn.Module):
    def __init__(self):
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(1, 4, 3, padding=1), nn.BatchNorm2d(4), nn.ReLU(), nn.MaxPool2d(2),
            nn.Conv2d(4, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU(), nn.AdaptiveAvgPool2d(1))
        self.head = nn.Linear(8, 3)

    def forward(self, x):
        return self.head(torch.flatten(self.features(x), 1))


class Residual(nn.Module):
    def __init__(self, c=4):
        super().__init__()
        self.conv1 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn1 = nn.BatchNorm2d(c)
        self.conv2 = nn.Conv2d(c, c, 3, padding=1, bias=False)
        self.bn2 = nn.BatchNorm2d(c)

    def forward(self, x):
        y = torch.relu(self.bn1(self.conv1(x)))
        return torch.relu(self.bn2(self.conv2(y)) + x)


def randomize_batchnorm(model, gen):
    """Non-trivial running statistics and affine parameters, so BatchNormalization is really exercised."""
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            c = m.num_features
            m.running_mean.copy_(torch.from_numpy(gen.normal(0, 0.5, c).astype(np.float32)))
            m.running_var.copy_(torch.from_numpy(gen.uniform(0.5, 2.0, c).astype(np.float32)))
            m.weight.data.copy_(torch.from_numpy(gen.uniform(0.5, 1.5, c).astype(np.float32)))
            m.bias.data.copy_(torch.from_numpy(gen.normal(0, 0.2, c).astype(np.float32)))


def export(name, model, shape, seed):
    torch.manual_seed(seed)
    gen = np.random.default_rng(seed)
    model = model()
    with torch.no_grad():
        randomize_batchnorm(model, gen)
    model.eval()
    folder = os.path.join(OUT, name)
    os.makedirs(folder, exist_ok=True)
    example = torch.from_numpy(gen.standard_normal((1,) + shape).astype(np.float32))
    path = os.path.join(folder, "model.onnx")
    torch.onnx.export(model, example, path, opset_version=17, input_names=["input"], output_names=["output"],
                      dynamic_axes={"input": {0: "batch"}, "output": {0: "batch"}},
                      training=torch.onnx.TrainingMode.PRESERVE, do_constant_folding=True)
    onnx.checker.check_model(onnx.load(path), full_check=True)
    files = {}
    for n in (1, 3):
        x = gen.standard_normal((n,) + shape).astype(np.float32)
        with torch.no_grad():
            y = model(torch.from_numpy(x)).numpy()
        np.save(os.path.join(folder, f"input_b{n}.npy"), x)
        np.save(os.path.join(folder, f"output_b{n}.npy"), y)
        files[n] = {"input": f"input_b{n}.npy", "output": f"output_b{n}.npy", "input_shape": list(x.shape), "output_shape": list(y.shape)}
    ops = sorted({node.op_type for node in onnx.load(path).graph.node})
    case = {"name": name, "model": model.__class__.__name__, "opset": 17, "ops": ops, "batches": files,
            "torch": torch.__version__, "onnx": onnx.__version__, "tolerance": {"rtol": 1e-4, "atol": 1e-5}}
    with open(os.path.join(folder, "case.json"), "w") as f:
        json.dump(case, f, indent=2)
    print(f"{name}: {ops}")


def main():
    export("mlp", Mlp, (20,), 11)
    export("cnn_bn", CnnBn, (1, 8, 8), 12)
    export("residual", Residual, (4, 6, 6), 13)
    total = sum(os.path.getsize(os.path.join(dp, f)) for dp, _, fs in os.walk(OUT) for f in fs)
    print(f"{total} bytes under {os.path.relpath(OUT)}")
    if total > 500_000:
        sys.exit("fixtures exceed 500 KB")


if __name__ == "__main__":
    main()
