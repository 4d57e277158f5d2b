#!/usr/bin/env python3
"""Writes a tiny GPT-2 checkpoint in the Hugging Face safetensors layout and PyTorch float64
reference values for it:
    attention/src/test/resources/gpt2_tiny.safetensors   (random weights, float64)
    attention/src/test/resources/golden/gpt2_tiny.json   (ids, logits, loss, every parameter's gradient)

`transformers` is not installed here, so the GPT-2 forward is written out in plain torch with
the Hugging Face conventions: Conv1D weights stored (in, out), fused c_attn split q|k|v, tanh
GELU, LayerNorm eps 1e-5, learned positions, LM head tied to wte. Run from the repository root
with Debian's PyTorch (apt-get install python3-torch):
    /usr/bin/python3 attention/src/test/python/gen_gpt2_golden.py
"""
import json
import math
import os
import struct

import torch

torch.manual_seed(20261129)
torch.set_default_dtype(torch.float64)
V, P, C, L, H = 37, 16, 12, 2, 3
B, T = 2, 7
HS = C // H

# Random weights, larger than GPT-2's init so every part of the network matters in the logits.
params = {"wte.weight": torch.randn(V, C) * 0.3, "wpe.weight": torch.randn(P, C) * 0.2}
for i in range(L):
    p = f"h.{i}."
    params[p + "ln_1.weight"] = 1 + 0.2 * torch.randn(C)
    params[p + "ln_1.bias"] = 0.1 * torch.randn(C)
    params[p + "attn.c_attn.weight"] = torch.randn(C, 3 * C) * 0.3
    params[p + "attn.c_attn.bias"] = torch.randn(3 * C) * 0.1
    params[p + "attn.c_proj.weight"] = torch.randn(C, C) * 0.3
    params[p + "attn.c_proj.bias"] = torch.randn(C) * 0.1
    params[p + "ln_2.weight"] = 1 + 0.2 * torch.randn(C)
    params[p + "ln_2.bias"] = 0.1 * torch.randn(C)
    params[p + "mlp.c_fc.weight"] = torch.randn(C, 4 * C) * 0.3
    params[p + "mlp.c_fc.bias"] = torch.randn(4 * C) * 0.1
    params[p + "mlp.c_proj.weight"] = torch.randn(4 * C, C) * 0.2
    params[p + "mlp.c_proj.bias"] = torch.randn(C) * 0.1
params["ln_f.weight"] = 1 + 0.2 * torch.randn(C)
params["ln_f.bias"] = 0.1 * torch.randn(C)
for t in params.values():
    t.requires_grad_(True)


def conv1d(x, name):
    """Hugging Face Conv1D: x @ W + b with W stored (in, out)."""
    return x @ params[name + ".weight"] + params[name + ".bias"]


def ln(x, name):
    return torch.nn.functional.layer_norm(x, (C,), params[name + ".weight"], params[name + ".bias"], 1e-5)


def gpt2(ids):
    b, t = ids.shape
    x = params["wte.weight"][ids] + params["wpe.weight"][torch.arange(t)]
    causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
    for i in range(L):
        p = f"h.{i}."
        h = ln(x, p + "ln_1")
        q, k, v = conv1d(h, p + "attn.c_attn").split(C, dim=2)
        q, k, v = (z.view(b, t, H, HS).transpose(1, 2) for z in (q, k, v))
        att = (q @ k.transpose(-2, -1)) / math.sqrt(HS)
        att = att.masked_fill(~causal, float("-inf")).softmax(-1)
        y = (att @ v).transpose(1, 2).reshape(b, t, C)
        x = x + conv1d(y, p + "attn.c_proj")
        h = ln(x, p + "ln_2")
        x = x + conv1d(torch.nn.functional.gelu(conv1d(h, p + "mlp.c_fc"), approximate="tanh"), p + "mlp.c_proj")
    x = ln(x, "ln_f")
    return x @ params["wte.weight"].t()


ids = torch.randint(0, V, (B, T))
logits = gpt2(ids)
loss = torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, V), ids[:, 1:].reshape(-1))
loss.backward()

tensors = {}


def put(name, t):
    t = t.detach().contiguous().to(torch.float64)
    tensors[name] = {"shape": list(t.shape), "data": [repr(float(v)) for v in t.reshape(-1).tolist()]}


put("ids", ids.to(torch.float64))
put("logits", logits)
put("loss", loss.reshape(1))
for name, t in params.items():
    put("grad." + name, t.grad)

here = os.path.dirname(os.path.abspath(__file__))
res = os.path.join(here, "..", "resources")
os.makedirs(os.path.join(res, "golden"), exist_ok=True)
with open(os.path.join(res, "golden", "gpt2_tiny.json"), "w") as f:
    json.dump({"format": "tessera-golden", "version": 1, "generator": "attention/src/test/python/gen_gpt2_golden.py",
               "torch": torch.__version__, "config": {"V": V, "P": P, "C": C, "L": L, "H": H}, "tensors": tensors}, f)

# safetensors by hand (the `safetensors` package is not installed): 8-byte LE header length,
# JSON header, little-endian data; "transformer." prefix as GPT2LMHeadModel exports it.
header, blobs, offset = {}, [], 0
for name in sorted(params):
    data = params[name].detach().contiguous().numpy().astype("<f8").tobytes()
    header["transformer." + name] = {"dtype": "F64", "shape": list(params[name].shape),
                                     "data_offsets": [offset, offset + len(data)]}
    blobs.append(data)
    offset += len(data)
header["__metadata__"] = {"format": "pt"}
hjson = json.dumps(header, separators=(",", ":")).encode()
hjson += b" " * ((8 - len(hjson) % 8) % 8)
with open(os.path.join(res, "gpt2_tiny.safetensors"), "wb") as f:
    f.write(struct.pack("<Q", len(hjson)))
    f.write(hjson)
    for blob in blobs:
        f.write(blob)
print("loss", loss.item())
