#!/usr/bin/env python3
"""Writes rlhf/src/test/resources/golden/rlhf_math.json: PyTorch float64 reference values for
Tessera's RLHF math (masked statistics, whitening, log-probs, entropy, GAE, PPO policy and value
losses, KL estimators, token rewards, K-wise ranking loss, DPO loss).

Run from the repository root with Debian's PyTorch (apt-get install python3-torch):
    /usr/bin/python3 rlhf/src/test/python/gen_rlhf_golden.py
The formulas below are written independently of the Java code, straight from the papers
(PPO: Schulman et al. 2017; GAE: Schulman et al. 2016; InstructGPT: Ouyang et al. 2022;
DPO: Rafailov et al. 2023). Inputs come from a fixed seed and are stored in the file.
"""
import itertools
import json
import math
import os

import torch
import torch.nn.functional as F

torch.manual_seed(6)
torch.set_default_dtype(torch.float64)
tensors = {}


def put(name, t):
    t = torch.as_tensor(t, dtype=torch.float64).detach().contiguous()
    tensors[name] = {"shape": list(t.shape), "data": [repr(float(v)) for v in t.reshape(-1).tolist()]}


# A mask with a full row, a row with a hole and left/right padding, and a row of two tokens.
mask = torch.tensor([[1, 1, 1, 1, 1, 1],
                     [0, 1, 1, 0, 1, 0],
                     [0, 0, 1, 1, 0, 0]], dtype=torch.float64)
put("mask", mask)

# ---- masked statistics and whitening
x = torch.randn(3, 6) * 2 + 0.5
put("x", x)
n = mask.sum()
mean = (x * mask).sum() / n
var = ((x - mean) ** 2 * mask).sum() / (n - 1)
put("masked_mean", mean)
put("masked_var", var)
put("masked_mean_rows", (x * mask).sum(1) / mask.sum(1))
put("whiten_shift", (x - mean) * torch.rsqrt(var + 1e-8) * mask)
put("whiten_keep_mean", ((x - mean) * torch.rsqrt(var + 1e-8) + mean) * mask)

# ---- per-token log-probs and entropy
logits = torch.randn(2, 4, 7) * 2
tokens = torch.randint(0, 7, (2, 4))
put("logits", logits)
put("tokens", tokens)
put("logprobs", torch.log_softmax(logits, -1).gather(-1, tokens.unsqueeze(-1)).squeeze(-1))
lg = logits.clone().requires_grad_(True)
p = torch.softmax(lg, -1)
ent = -(p * torch.log_softmax(lg, -1)).sum(-1)
up = torch.randn(2, 4)
ent.backward(up)
put("entropy", ent)
put("entropy.upstream", up)
put("entropy.grad", lg.grad)

# ---- GAE: the usual reverse loop over the valid tokens of each row (padding skipped)
gamma, lam = 0.9, 0.8
rewards = torch.randn(3, 6)
values = torch.randn(3, 6)
put("rewards", rewards)
put("values", values)
adv = torch.zeros(3, 6)
for b in range(3):
    idx = [t for t in range(6) if mask[b, t] == 1]
    last = 0.0
    for k in reversed(range(len(idx))):
        t = idx[k]
        nv = values[b, idx[k + 1]] if k + 1 < len(idx) else 0.0
        delta = rewards[b, t] + gamma * nv - values[b, t]
        last = delta + gamma * lam * last
        adv[b, t] = last
put("gae.advantages", adv)
put("gae.returns", (adv + values) * mask)

# ---- PPO clipped policy loss, eps 0.2
eps = 0.2
old = torch.randn(3, 6) - 1
logp = old + torch.randn(3, 6) * 0.3
advs = torch.randn(3, 6)
put("ppo.old", old)
put("ppo.logp", logp)
put("ppo.adv", advs)
lp = logp.clone().requires_grad_(True)
ratio = torch.exp(lp - old)
l1 = -advs * ratio
l2 = -advs * torch.clamp(ratio, 1 - eps, 1 + eps)
loss = (torch.max(l1, l2) * mask).sum() / mask.sum()
loss.backward()
put("ppo.loss", loss)
put("ppo.grad", lp.grad)
put("ppo.clipfrac", ((l2 > l1).double() * mask).sum() / mask.sum())
put("ppo.approxkl", (0.5 * (logp - old) ** 2 * mask).sum() / mask.sum())

# ---- PPO clipped value loss, clip 0.2
oldv = torch.randn(3, 6)
v = oldv + torch.randn(3, 6) * 0.4
rets = torch.randn(3, 6)
put("vf.old", oldv)
put("vf.v", v)
put("vf.returns", rets)
vv = v.clone().requires_grad_(True)
vclip = oldv + torch.clamp(vv - oldv, -0.2, 0.2)
vl = 0.5 * torch.max((vv - rets) ** 2, (vclip - rets) ** 2)
vloss = (vl * mask).sum() / mask.sum()
vloss.backward()
put("vf.loss", vloss)
put("vf.grad", vv.grad)
put("vf.clipfrac", ((((vclip - rets) ** 2) > ((vv - rets) ** 2)).double() * mask).sum() / mask.sum())

# ---- KL estimators and token rewards (beta 0.05, score shaped by clip(2 (s - 0.5), -3, 3))
ref = logp + torch.randn(3, 6) * 0.5
put("kl.ref", ref)
put("kl.k1", logp - ref)
r = ref - logp
put("kl.k3", torch.exp(r) - 1 - r)
scores = torch.tensor([0.3, 4.0, -1.2])
put("scores", scores)
beta = 0.05
tr = -beta * (logp - ref) * mask
for b in range(3):
    lastv = max(t for t in range(6) if mask[b, t] == 1)
    tr[b, lastv] += max(-3.0, min(3.0, 2.0 * (scores[b].item() - 0.5)))
put("token_rewards", tr)

# ---- InstructGPT K-wise ranking loss, groups of 3, 2, 4 (best first)
groups = [3, 2, 4]
rw = torch.randn(sum(groups))
put("rank.rewards", rw)
rr = rw.clone().requires_grad_(True)
total = 0
off = 0
for k in groups:
    terms = [F.logsigmoid(rr[off + i] - rr[off + j]) for i, j in itertools.combinations(range(k), 2)]
    total = total - torch.stack(terms).sum() / math.comb(k, 2)
    off += k
rloss = total / len(groups)
rloss.backward()
put("rank.loss", rloss)
put("rank.grad", rr.grad)

# ---- pairwise with margin
ch = torch.randn(5)
rj = torch.randn(5)
mg = torch.rand(5)
put("pair.chosen", ch)
put("pair.rejected", rj)
put("pair.margin", mg)
put("pair.loss", -F.logsigmoid(ch - rj - mg).mean())

# ---- DPO sigmoid loss, beta 0.1, label smoothing 0 and 0.1
pc, pr, rc, rj2 = (torch.randn(4) * 3 - 10 for _ in range(4))
for name, t in zip(["pc", "pr", "rc", "rr"], [pc, pr, rc, rj2]):
    put("dpo." + name, t)
for ls in (0.0, 0.1):
    a = pc.clone().requires_grad_(True)
    c = pr.clone().requires_grad_(True)
    h = 0.1 * ((a - rc) - (c - rj2))
    dl = (-(1 - ls) * F.logsigmoid(h) - ls * F.logsigmoid(-h)).mean()
    dl.backward()
    put(f"dpo.ls{ls}.loss", dl)
    put(f"dpo.ls{ls}.grad_chosen", a.grad)
    put(f"dpo.ls{ls}.grad_rejected", c.grad)

out = {"format": "tessera-golden", "version": 1, "generator": "rlhf/src/test/python/gen_rlhf_golden.py",
       "torch": torch.__version__, "tensors": tensors}
path = os.path.join(os.path.dirname(__file__), "..", "resources", "golden", "rlhf_math.json")
with open(path, "w") as f:
    json.dump(out, f, indent=0)
print("wrote", os.path.normpath(path), len(tensors), "tensors")
