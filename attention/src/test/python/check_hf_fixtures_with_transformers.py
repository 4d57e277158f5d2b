#!/usr/bin/env python3
"""Optional cross-check of the fixtures written by gen_hf_models.py against Hugging Face
`transformers` itself: each tiny directory is loaded with AutoModelForCausalLM.from_pretrained
(float64, eager attention) and its logits and next-token loss are compared with
expected.safetensors, so the plain-PyTorch architectures of the generator are checked against the
library they follow.

transformers' Llama, Qwen2 and Mistral compute three things in float32 even in a float64 model: RMSNorm, the
attention softmax and the rotary angles. With those as they are, the logits agree to about 1e-6
(float32 rounding); the script then runs the three in float64 and requires agreement to 1e-9.
Needs an interpreter with torch, transformers and safetensors (not needed by the tests or CI):
    python3 attention/src/test/python/check_hf_fixtures_with_transformers.py
"""
import os
import sys

import torch
import torch.nn.functional as F
from safetensors.torch import load_file
from transformers import AutoModelForCausalLM
from transformers.models.llama import modeling_llama
from transformers.models.mistral import modeling_mistral
from transformers.models.qwen2 import modeling_qwen2

HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.join(HERE, "..", "resources", "hf")


def inverse_frequencies_float64(config):
    p = config.rope_parameters if hasattr(config, "rope_parameters") else (config.rope_scaling or {})
    theta = p.get("rope_theta", getattr(config, "rope_theta", None))
    dim = config.hidden_size // config.num_attention_heads
    inv = 1.0 / theta ** (torch.arange(0, dim, 2, dtype=torch.float64) / dim)
    if p.get("rope_type", "default") == "default":
        return inv
    old, low, high = p["original_max_position_embeddings"], p["low_freq_factor"], p["high_freq_factor"]
    wavelen = 2 * torch.pi / inv
    scaled = torch.where(wavelen > old / low, inv / p["factor"], inv)
    smooth = (old / wavelen - low) / (high - low)
    medium = ~(wavelen < old / high) & ~(wavelen > old / low)
    return torch.where(medium, (1 - smooth) * scaled / p["factor"] + smooth * scaled, scaled)


def compare(name):
    d = os.path.join(RES, name)
    expected = load_file(os.path.join(d, "expected.safetensors"))
    model = AutoModelForCausalLM.from_pretrained(d, dtype=torch.float64, attn_implementation="eager").eval()
    if not name.startswith("gpt2"):
        rotary = model.model.rotary_emb
        # transformers' rules run in float32; the same rules in float64 must agree to float32 rounding
        inv64 = inverse_frequencies_float64(model.config)
        rel = ((rotary.inv_freq.double() - inv64).abs() / inv64).max().item()
        print(f"{name}: RoPE inverse frequencies, transformers (float32) vs float64: relative difference {rel:.1e}")
        assert rel < 1e-6, rel

        def angles(x, position_ids):
            freqs = position_ids[:, :, None].double() * inv64.double()[None, None, :]
            emb = torch.cat((freqs, freqs), dim=-1)
            return emb.cos().to(x.dtype), emb.sin().to(x.dtype)

        if FLOAT64:
            rotary.forward = angles
    ids = expected["ids"]
    with torch.no_grad():
        logits = model(input_ids=ids).logits
    v = logits.shape[-1]
    loss = F.cross_entropy(logits[:, :-1].reshape(-1, v), ids[:, 1:].reshape(-1))
    diff = max((logits - expected["logits"]).abs().max().item(), abs(loss.item() - expected["loss"].item()))
    print(f"{name} ({'float64 throughout' if FLOAT64 else 'transformers as is'}): max difference {diff:.3e}")
    return diff


NAMES = ("gpt2-tiny", "llama-tiny", "qwen2-tiny", "mistral-tiny")
FLOAT64 = False
for n in NAMES:
    compare(n)

FLOAT64 = True
_softmax = F.softmax
for module in (modeling_llama, modeling_qwen2, modeling_mistral):
    module.nn.functional.softmax = lambda x, dim=None, dtype=None, **kw: _softmax(x, dim=dim)


def rms_norm_float64(self, x):
    return self.weight * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + self.variance_epsilon))


modeling_llama.LlamaRMSNorm.forward = rms_norm_float64
modeling_qwen2.Qwen2RMSNorm.forward = rms_norm_float64
modeling_mistral.MistralRMSNorm.forward = rms_norm_float64
worst = max(compare(n) for n in NAMES)
sys.exit(0 if worst < 1e-9 else 1)
