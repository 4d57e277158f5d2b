#!/usr/bin/python3
"""Writes training/src/test/resources/golden/training.json: PyTorch reference values (float64)
for the LM losses and the optimizers. Run from the repository root:
    /usr/bin/python3 training/src/test/python/gen_training_golden.py
"""
import json
import os

import torch
import torch.nn.functional as F

torch.manual_seed(0)
torch.set_default_dtype(torch.float64)
out = {}


def put(name, t):
    t = torch.as_tensor(t).detach().to(torch.float64)
    out[name] = {"shape": list(t.shape), "data": t.reshape(-1).tolist()}


B, T, V = 2, 5, 7
logits = torch.randn(B, T, V) * 3
targets = torch.randint(0, V, (B, T))
targets[0, 1] = -100
targets[1, 3] = -100
targets[1, 4] = -100
put("ce.logits", logits)
put("ce.targets", targets)

for name, smoothing in (("plain", 0.0), ("smooth", 0.1)):
    x = logits.clone().requires_grad_(True)
    loss = F.cross_entropy(x.reshape(-1, V), targets.reshape(-1), ignore_index=-100, label_smoothing=smoothing)
    loss.backward()
    put("ce." + name + ".loss", loss)
    put("ce." + name + ".grad", x.grad)

# z-loss (PaLM): mean over valid rows of ce + 1e-2 * logsumexp^2, with smoothing 0.1
x = logits.clone().requires_grad_(True)
flat = x.reshape(-1, V)
tgt = targets.reshape(-1)
valid = tgt != -100
ce = F.cross_entropy(flat, tgt, ignore_index=-100, label_smoothing=0.1, reduction="sum")
lse = torch.logsumexp(flat, dim=-1)
loss = (ce + 1e-2 * (lse[valid] ** 2).sum()) / valid.sum()
loss.backward()
put("ce.zloss.loss", loss)
put("ce.zloss.grad", x.grad)

# causal shift: logits[:, t] predict ids[:, t + 1]
ids = torch.randint(0, V, (B, T))
ids[1, 2] = -100
put("causal.ids", ids)
x = logits.clone().requires_grad_(True)
loss = F.cross_entropy(x[:, :-1].reshape(-1, V), ids[:, 1:].reshape(-1), ignore_index=-100)
loss.backward()
put("causal.loss", loss)
put("causal.grad", x.grad)

# AdamW, 10 steps, decay on the matrix only, lr changing every step
w0 = torch.randn(3, 4)
b0 = torch.randn(4)
gw = torch.randn(10, 3, 4)
gb = torch.randn(10, 4)
lrs = torch.tensor([1e-2 * (0.9 ** k) for k in range(10)])
put("adamw.w0", w0)
put("adamw.b0", b0)
put("adamw.gw", gw)
put("adamw.gb", gb)
put("adamw.lrs", lrs)
w = w0.clone().requires_grad_(True)
b = b0.clone().requires_grad_(True)
opt = torch.optim.AdamW([{"params": [w], "weight_decay": 0.1}, {"params": [b], "weight_decay": 0.0}],
                        lr=1e-2, betas=(0.9, 0.95), eps=1e-8)
for k in range(10):
    for g in opt.param_groups:
        g["lr"] = float(lrs[k])
    w.grad = gw[k].clone()
    b.grad = gb[k].clone()
    opt.step()
    if k == 4:
        put("adamw.w5", w)
        put("adamw.b5", b)
put("adamw.w10", w)
put("adamw.b10", b)
put("adamw.exp_avg_sq_w10", opt.state[w]["exp_avg_sq"])

# SGD with Nesterov momentum and coupled weight decay, 10 steps
w = w0.clone().requires_grad_(True)
opt = torch.optim.SGD([w], lr=0.05, momentum=0.9, weight_decay=1e-2, nesterov=True)
for k in range(10):
    w.grad = gw[k].clone()
    opt.step()
put("sgd.w10", w)

path = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "resources", "golden", "training.json")
with open(path, "w") as f:
    json.dump({"format": "tessera-golden", "version": 1, "generator": "training/src/test/python/gen_training_golden.py",
               "torch": torch.__version__, "tensors": out}, f)
print("wrote", os.path.normpath(path))
