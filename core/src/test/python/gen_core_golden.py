#!/usr/bin/env python3
"""Writes core/src/test/resources/golden/core_ops.json: PyTorch float64 reference values for
Tessera's core ops (layer norm, RMS norm, both GELUs, softmax/log-softmax, broadcasting matmul).

Run from the repository root with Debian's PyTorch (apt-get install python3-torch):
    /usr/bin/python3 core/src/test/python/gen_core_golden.py
Inputs are generated here from a fixed seed and stored in the file, so the Java test reads
inputs, upstream gradients and expected outputs/gradients and never needs Python.
"""
import json
import os

import torch

torch.manual_seed(20261129)
torch.set_default_dtype(torch.float64)
tensors = {}


def put(name, t):
    t = t.detach().contiguous()
    tensors[name] = {"shape": list(t.shape), "data": [repr(float(v)) for v in t.reshape(-1).tolist()]}


def case(name, fn, *inputs):
    """Stores inputs, output, a random upstream gradient and the inputs' gradients."""
    leaves = [x.clone().requires_grad_(True) for x in inputs]
    out = fn(*leaves)
    upstream = torch.randn_like(out)
    out.backward(upstream)
    for i, x in enumerate(leaves):
        put(f"{name}.in{i}", x)
        put(f"{name}.grad{i}", x.grad)
    put(f"{name}.out", out)
    put(f"{name}.upstream", upstream)


x = torch.randn(2, 3, 5) * 3 + 1
w = torch.randn(5)
b = torch.randn(5)
case("layer_norm", lambda x, w, b: torch.nn.functional.layer_norm(x, (5,), w, b, 1e-5), x, w, b)
case("rms_norm", lambda x, w: x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + 1e-6) * w, x, w)
g = torch.randn(3, 7) * 2
case("gelu", lambda x: torch.nn.functional.gelu(x), g)
case("gelu_tanh", lambda x: torch.nn.functional.gelu(x, approximate="tanh"), g)
s = torch.randn(2, 3, 4) * 4
case("softmax_last", lambda x: torch.softmax(x, -1), s)
case("softmax_dim1", lambda x: torch.softmax(x, 1), s)
case("log_softmax_last", lambda x: torch.log_softmax(x, -1), s)
case("matmul_broadcast", lambda a, b: torch.matmul(a, b), torch.randn(2, 1, 3, 4), torch.randn(3, 4, 2))
case("matmul_folded", lambda a, b: torch.matmul(a, b), torch.randn(2, 3, 4), torch.randn(4, 5))

out = {
    "format": "tessera-golden",
    "version": 1,
    "generator": "core/src/test/python/gen_core_golden.py",
    "torch": torch.__version__,
    "tensors": tensors,
}
path = os.path.join(os.path.dirname(__file__), "..", "resources", "golden", "core_ops.json")
with open(path, "w") as f:
    json.dump(out, f, indent=0)
print("wrote", os.path.normpath(path), len(tensors), "tensors")
