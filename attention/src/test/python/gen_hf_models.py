#!/usr/bin/env python3
"""Writes two tiny random checkpoints in the exact Hugging Face directory layout, and float64
PyTorch reference values for them:

    attention/src/test/resources/hf/gpt2-tiny/    GPT2LMHeadModel: config.json, tokenizer_config.json,
        model-0000{1,2}-of-00002.safetensors (F16, "transformer." prefix) + model.safetensors.index.json,
        expected.safetensors
    attention/src/test/resources/hf/llama-tiny/   LlamaForCausalLM: config.json, generation_config.json,
        model-0000{1,2}-of-00002.safetensors (BF16) + model.safetensors.index.json, expected.safetensors
    attention/src/test/resources/hf/qwen2-tiny/   Qwen2ForCausalLM: config.json, one model.safetensors (F32),
        expected.safetensors
    attention/src/test/resources/hf/mistral-tiny/ MistralForCausalLM: config.json, one model.safetensors (F16),
        expected.safetensors

expected.safetensors (F64, I64 ids) holds "ids" (B, T), "logits" (B, T, V), "loss" (1) (mean next-token
cross-entropy) and "grad.<HF tensor name>" for a few weights, in the HF layout of that tensor.

`transformers` is not used: both architectures are written out in plain torch following the
published models. GPT-2: learned positions, pre-LN LayerNorm, Conv1D weights stored (in, out),
fused c_attn split q|k|v, tanh GELU, LM head tied to wte. Llama: RMSNorm (weight * x / rms),
nn.Linear weights stored (out, in), rotate-half RoPE with llama3 rope_scaling of the inverse
frequencies, grouped-query attention (head h reads key/value head h // (H / KV)), SwiGLU MLP
down(silu(gate(x)) * up(x)), untied lm_head. Qwen2 is Llama with biases on the q/k/v projections
(not on o_proj), here with one key/value head for four query heads, no rope_scaling and the
LM head tied to embed_tokens. Mistral is Llama with a sliding window: query i attends to keys
j with i - sliding_window < j <= i (3 positions here, shorter than the 6-token input). Weights are drawn in float64, rounded to the stored
dtype, and the reference runs in float64 on the rounded values, so a loader that reads the files
exactly can match it to rounding. The GPT-2 directory's tokenizer comes from gen_hf_tokenizer.py.

Run from the repository root with Debian's PyTorch:
    /usr/bin/python3 attention/src/test/python/gen_hf_models.py
"""
import json
import math
import os
import struct

import torch

torch.manual_seed(20261207)
torch.set_default_dtype(torch.float64)
HERE = os.path.dirname(os.path.abspath(__file__))
RES = os.path.join(HERE, "..", "resources", "hf")

DTYPES = {torch.float16: "F16", torch.bfloat16: "BF16", torch.float32: "F32", torch.float64: "F64",
          torch.int64: "I64"}


def tensor_bytes(t):
    t = t.detach().contiguous()
    if t.dtype in (torch.float16, torch.bfloat16):
        return t.view(torch.int16).numpy().astype("<i2").tobytes()
    if t.dtype == torch.int64:
        return t.numpy().astype("<i8").tobytes()
    return t.numpy().astype("<f8" if t.dtype == torch.float64 else "<f4").tobytes()


def write_safetensors(path, tensors, metadata=None):
    """The safetensors layout: 8-byte LE header length, JSON header padded with spaces, LE data."""
    header, blobs, offset = {}, [], 0
    for name, t in tensors.items():
        data = tensor_bytes(t)
        header[name] = {"dtype": DTYPES[t.dtype], "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        blobs.append(data)
        offset += len(data)
    if metadata:
        header["__metadata__"] = metadata
    hjson = json.dumps(header, separators=(",", ":")).encode()
    hjson += b" " * ((8 - len(hjson) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(hjson)))
        f.write(hjson)
        for blob in blobs:
            f.write(blob)


def write_sharded(directory, tensors, split):
    """Two shards (names before `split` in the first) and model.safetensors.index.json, as save_pretrained does."""
    names = list(tensors)
    shards = [names[:split], names[split:]]
    weight_map, total = {}, 0
    for i, shard in enumerate(shards):
        file = f"model-{i + 1:05d}-of-{len(shards):05d}.safetensors"
        write_safetensors(os.path.join(directory, file), {n: tensors[n] for n in shard}, {"format": "pt"})
        for n in shard:
            weight_map[n] = file
            total += tensors[n].numel() * tensors[n].element_size()
    write_json(os.path.join(directory, "model.safetensors.index.json"),
               {"metadata": {"total_size": total}, "weight_map": dict(sorted(weight_map.items()))})


def write_json(path, obj):
    with open(path, "w") as f:
        json.dump(obj, f, indent=2)
        f.write("\n")


def rounded(t, dtype):
    """The stored value (dtype) and the float64 leaf the reference differentiates."""
    stored = t.to(dtype)
    return stored, stored.to(torch.float64).requires_grad_(True)


def next_token_loss(logits, ids):
    v = logits.shape[-1]
    return torch.nn.functional.cross_entropy(logits[:, :-1].reshape(-1, v), ids[:, 1:].reshape(-1))


def write_expected(directory, ids, logits, loss, params, grads):
    out = {"ids": ids.to(torch.int64), "logits": logits.detach(), "loss": loss.detach().reshape(1)}
    for name in grads:
        out["grad." + name] = params[name].grad
    write_safetensors(os.path.join(directory, "expected.safetensors"), out)


# ---------------------------------------------------------------- GPT-2
def gpt2():
    V, P, C, L, H, EPS = 280, 32, 16, 2, 4, 1e-5
    B, T = 2, 5
    hs = C // H
    shapes = {"wte.weight": ((V, C), 0.3), "wpe.weight": ((P, C), 0.2)}
    for i in range(L):
        p = f"h.{i}."
        shapes.update({p + "ln_1.weight": ((C,), -0.2), p + "ln_1.bias": ((C,), 0.1),
                       p + "attn.c_attn.weight": ((C, 3 * C), 0.3), p + "attn.c_attn.bias": ((3 * C,), 0.1),
                       p + "attn.c_proj.weight": ((C, C), 0.3), p + "attn.c_proj.bias": ((C,), 0.1),
                       p + "ln_2.weight": ((C,), -0.2), p + "ln_2.bias": ((C,), 0.1),
                       p + "mlp.c_fc.weight": ((C, 4 * C), 0.3), p + "mlp.c_fc.bias": ((4 * C,), 0.1),
                       p + "mlp.c_proj.weight": ((4 * C, C), 0.2), p + "mlp.c_proj.bias": ((C,), 0.1)})
    shapes.update({"ln_f.weight": ((C,), -0.2), "ln_f.bias": ((C,), 0.1)})
    stored, params = {}, {}
    for name, (shape, s) in shapes.items():
        # negative scale: a norm weight around 1
        value = 1 + abs(s) * torch.randn(shape) if s < 0 else s * torch.randn(shape)
        stored["transformer." + name], params[name] = rounded(value, torch.float16)

    def conv1d(x, name):  # HF Conv1D: x @ W + b, W stored (in, out)
        return x @ params[name + ".weight"] + params[name + ".bias"]

    def ln(x, name):
        return torch.nn.functional.layer_norm(x, (C,), params[name + ".weight"], params[name + ".bias"], EPS)

    def forward(ids):
        b, t = ids.shape
        x = params["wte.weight"][ids] + params["wpe.weight"][torch.arange(t)]
        causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
        for i in range(L):
            p = f"h.{i}."
            q, k, v = conv1d(ln(x, p + "ln_1"), p + "attn.c_attn").split(C, dim=2)
            q, k, v = (z.view(b, t, H, hs).transpose(1, 2) for z in (q, k, v))
            att = ((q @ k.transpose(-2, -1)) / math.sqrt(hs)).masked_fill(~causal, float("-inf")).softmax(-1)
            x = x + conv1d((att @ v).transpose(1, 2).reshape(b, t, C), p + "attn.c_proj")
            hidden = torch.nn.functional.gelu(conv1d(ln(x, p + "ln_2"), p + "mlp.c_fc"), approximate="tanh")
            x = x + conv1d(hidden, p + "mlp.c_proj")
        return ln(x, "ln_f") @ params["wte.weight"].t()

    ids = torch.randint(0, V, (B, T))
    logits = forward(ids)
    loss = next_token_loss(logits, ids)
    loss.backward()

    d = os.path.join(RES, "gpt2-tiny")
    os.makedirs(d, exist_ok=True)
    write_sharded(d, stored, split=14)
    write_json(os.path.join(d, "config.json"), {
        "activation_function": "gelu_new", "architectures": ["GPT2LMHeadModel"], "attn_pdrop": 0.1,
        "bos_token_id": 0, "embd_pdrop": 0.1, "eos_token_id": 0, "initializer_range": 0.02,
        "layer_norm_epsilon": EPS, "model_type": "gpt2", "n_ctx": P, "n_embd": C, "n_head": H, "n_inner": None,
        "n_layer": L, "n_positions": P, "reorder_and_upcast_attn": False, "resid_pdrop": 0.1,
        "scale_attn_by_inverse_layer_idx": False, "scale_attn_weights": True, "summary_activation": None,
        "summary_first_dropout": 0.1, "summary_proj_to_labels": True, "summary_type": "cls_index",
        "summary_use_proj": True, "torch_dtype": "float16", "transformers_version": "4.44.0", "use_cache": True,
        "vocab_size": V})
    write_json(os.path.join(d, "tokenizer_config.json"), {
        "add_prefix_space": False, "bos_token": "<|endoftext|>", "clean_up_tokenization_spaces": True,
        "eos_token": "<|endoftext|>", "model_max_length": P, "pad_token": "<|endoftext|>",
        "tokenizer_class": "GPT2Tokenizer", "unk_token": "<|endoftext|>"})
    write_expected(d, ids, logits, loss, params,
                   ["h.0.attn.c_attn.weight", "h.1.mlp.c_proj.weight", "h.0.ln_1.weight", "ln_f.bias", "wpe.weight"])
    print("gpt2 loss", loss.item())


# ---------------------------------------------------------------- Llama
def llama3_inverse_frequencies(head_dim, theta, factor, low_freq_factor, high_freq_factor, original):
    """Llama 3.1's rope_scaling: long wavelengths divided by factor, short ones kept, a smooth blend between."""
    inv = 1.0 / theta ** (torch.arange(0, head_dim, 2, dtype=torch.float64) / head_dim)
    low_wavelen = original / low_freq_factor
    high_wavelen = original / high_freq_factor
    wavelen = 2 * math.pi / inv
    scaled = torch.where(wavelen > low_wavelen, inv / factor, inv)
    smooth = (original / wavelen - low_freq_factor) / (high_freq_factor - low_freq_factor)
    blended = (1 - smooth) * scaled / factor + smooth * scaled
    medium = ~(wavelen < high_wavelen) & ~(wavelen > low_wavelen)
    return torch.where(medium, blended, scaled)


def llama(qwen2=False, mistral=False):
    WINDOW = 0
    if qwen2:
        V, CTX, C, L, H, KV, I, EPS = 64, 128, 16, 2, 4, 1, 32, 1e-6
        THETA, SCALING, TIED, DTYPE = 1000000.0, None, True, torch.float32
    elif mistral:
        V, CTX, C, L, H, KV, I, EPS = 64, 64, 16, 2, 4, 2, 32, 1e-5
        THETA, SCALING, TIED, DTYPE, WINDOW = 10000.0, None, False, torch.float16, 3
    else:
        V, CTX, C, L, H, KV, I, EPS = 64, 2048, 32, 2, 4, 2, 48, 1e-6  # context above llama3's original 1024
        THETA, TIED, DTYPE = 10000.0, False, torch.bfloat16
        SCALING = {"factor": 8.0, "low_freq_factor": 1.0, "high_freq_factor": 4.0,
                   "original_max_position_embeddings": 1024, "rope_type": "llama3"}
    B, T = 2, 6
    hd = C // H
    shapes = {"model.embed_tokens.weight": ((V, C), 0.5)}
    for i in range(L):
        p = f"model.layers.{i}."
        shapes.update({p + "self_attn.q_proj.weight": ((H * hd, C), 0.3),
                       p + "self_attn.k_proj.weight": ((KV * hd, C), 0.3),
                       p + "self_attn.v_proj.weight": ((KV * hd, C), 0.3),
                       p + "self_attn.o_proj.weight": ((C, H * hd), 0.3),
                       p + "mlp.gate_proj.weight": ((I, C), 0.3),
                       p + "mlp.up_proj.weight": ((I, C), 0.3),
                       p + "mlp.down_proj.weight": ((C, I), 0.3),
                       p + "input_layernorm.weight": ((C,), -0.2),
                       p + "post_attention_layernorm.weight": ((C,), -0.2)})
        if qwen2:
            shapes.update({p + "self_attn.q_proj.bias": ((H * hd,), 0.2), p + "self_attn.k_proj.bias": ((KV * hd,), 0.2),
                           p + "self_attn.v_proj.bias": ((KV * hd,), 0.2)})
    shapes["model.norm.weight"] = ((C,), -0.2)
    if not TIED:
        shapes["lm_head.weight"] = ((V, C), 0.3)
    stored, params = {}, {}
    for name, (shape, s) in shapes.items():
        value = 1 + abs(s) * torch.randn(shape) if s < 0 else s * torch.randn(shape)
        stored[name], params[name] = rounded(value, DTYPE)

    def linear(x, name):  # nn.Linear: x @ W^T (+ b), W stored (out, in)
        y = x @ params[name + ".weight"].t()
        return y + params[name + ".bias"] if name + ".bias" in params else y

    def rms_norm(x, name):
        return params[name + ".weight"] * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + EPS))

    if SCALING is None:
        inv = 1.0 / THETA ** (torch.arange(0, hd, 2, dtype=torch.float64) / hd)
    else:
        inv = llama3_inverse_frequencies(hd, THETA, SCALING["factor"], SCALING["low_freq_factor"],
                                         SCALING["high_freq_factor"], SCALING["original_max_position_embeddings"])

    def rotate_half(x):
        x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2:]
        return torch.cat((-x2, x1), dim=-1)

    def forward(ids):
        b, t = ids.shape
        angles = torch.arange(t, dtype=torch.float64)[:, None] * inv[None, :]  # (T, hd/2)
        emb = torch.cat((angles, angles), dim=-1)  # (T, hd)
        cos, sin = emb.cos(), emb.sin()
        causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
        if WINDOW:  # Mistral: query i sees keys j with i - WINDOW < j <= i
            causal &= torch.triu(torch.ones(t, t, dtype=torch.bool), diagonal=1 - WINDOW)
        x = params["model.embed_tokens.weight"][ids]
        for i in range(L):
            p = f"model.layers.{i}."
            h = rms_norm(x, p + "input_layernorm")
            q = linear(h, p + "self_attn.q_proj").view(b, t, H, hd).transpose(1, 2)
            k = linear(h, p + "self_attn.k_proj").view(b, t, KV, hd).transpose(1, 2)
            v = linear(h, p + "self_attn.v_proj").view(b, t, KV, hd).transpose(1, 2)
            q = q * cos + rotate_half(q) * sin
            k = k * cos + rotate_half(k) * sin
            k = k.repeat_interleave(H // KV, dim=1)  # (B, H, T, hd): head h reads kv head h // (H / KV)
            v = v.repeat_interleave(H // KV, dim=1)
            att = ((q @ k.transpose(-2, -1)) / math.sqrt(hd)).masked_fill(~causal, float("-inf")).softmax(-1)
            x = x + linear((att @ v).transpose(1, 2).reshape(b, t, C), p + "self_attn.o_proj")
            h = rms_norm(x, p + "post_attention_layernorm")
            gated = torch.nn.functional.silu(linear(h, p + "mlp.gate_proj")) * linear(h, p + "mlp.up_proj")
            x = x + linear(gated, p + "mlp.down_proj")
        x = rms_norm(x, "model.norm")
        return x @ params["model.embed_tokens.weight"].t() if TIED else linear(x, "lm_head")

    ids = torch.randint(0, V, (B, T))
    logits = forward(ids)
    loss = next_token_loss(logits, ids)
    loss.backward()

    if mistral:
        d = os.path.join(RES, "mistral-tiny")
        os.makedirs(d, exist_ok=True)
        write_safetensors(os.path.join(d, "model.safetensors"), stored, {"format": "pt"})
        write_json(os.path.join(d, "config.json"), {
            "architectures": ["MistralForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 1, "eos_token_id": 2,
            "hidden_act": "silu", "hidden_size": C, "initializer_range": 0.02, "intermediate_size": I,
            "max_position_embeddings": CTX, "model_type": "mistral", "num_attention_heads": H,
            "num_hidden_layers": L, "num_key_value_heads": KV, "rms_norm_eps": EPS, "rope_theta": THETA,
            "sliding_window": WINDOW, "tie_word_embeddings": False, "torch_dtype": "float16",
            "transformers_version": "4.44.0", "use_cache": True, "vocab_size": V})
        write_expected(d, ids, logits, loss, params,
                       ["model.layers.0.self_attn.k_proj.weight", "model.layers.1.self_attn.o_proj.weight",
                        "model.layers.1.mlp.up_proj.weight", "lm_head.weight", "model.norm.weight"])
        print("mistral loss", loss.item())
        return
    if qwen2:
        d = os.path.join(RES, "qwen2-tiny")
        os.makedirs(d, exist_ok=True)
        write_safetensors(os.path.join(d, "model.safetensors"), stored, {"format": "pt"})
        write_json(os.path.join(d, "config.json"), {
            "architectures": ["Qwen2ForCausalLM"], "attention_dropout": 0.0, "bos_token_id": 5, "eos_token_id": 6,
            "hidden_act": "silu", "hidden_size": C, "initializer_range": 0.02, "intermediate_size": I,
            "max_position_embeddings": CTX, "max_window_layers": L, "model_type": "qwen2", "num_attention_heads": H,
            "num_hidden_layers": L, "num_key_value_heads": KV, "rms_norm_eps": EPS, "rope_scaling": None,
            "rope_theta": THETA, "sliding_window": CTX, "tie_word_embeddings": True, "torch_dtype": "float32",
            "transformers_version": "4.44.0", "use_cache": True, "use_sliding_window": False, "vocab_size": V})
        write_expected(d, ids, logits, loss, params,
                       ["model.layers.0.self_attn.q_proj.bias", "model.layers.1.self_attn.k_proj.bias",
                        "model.layers.0.self_attn.v_proj.weight", "model.embed_tokens.weight", "model.norm.weight"])
        print("qwen2 loss", loss.item())
        return
    d = os.path.join(RES, "llama-tiny")
    os.makedirs(d, exist_ok=True)
    write_sharded(d, stored, split=10)
    write_json(os.path.join(d, "config.json"), {
        "architectures": ["LlamaForCausalLM"], "attention_bias": False, "attention_dropout": 0.0,
        "bos_token_id": 1, "eos_token_id": 2, "hidden_act": "silu", "hidden_size": C, "initializer_range": 0.02,
        "intermediate_size": I, "max_position_embeddings": CTX, "mlp_bias": False, "model_type": "llama",
        "num_attention_heads": H, "num_hidden_layers": L, "num_key_value_heads": KV, "pretraining_tp": 1,
        "rms_norm_eps": EPS, "rope_scaling": SCALING, "rope_theta": THETA, "tie_word_embeddings": False,
        "torch_dtype": "bfloat16", "transformers_version": "4.44.0", "use_cache": True, "vocab_size": V})
    write_json(os.path.join(d, "generation_config.json"), {
        "bos_token_id": 1, "do_sample": True, "eos_token_id": [2, 3], "pad_token_id": 0, "temperature": 0.6,
        "top_p": 0.9, "transformers_version": "4.44.0"})
    write_expected(d, ids, logits, loss, params,
                   ["model.layers.0.self_attn.q_proj.weight", "model.layers.0.self_attn.k_proj.weight",
                    "model.layers.0.mlp.down_proj.weight", "model.layers.1.input_layernorm.weight",
                    "model.norm.weight"])
    print("llama loss", loss.item(), "inverse frequencies", inv.tolist())


gpt2()
llama()
llama(qwen2=True)
llama(mistral=True)
