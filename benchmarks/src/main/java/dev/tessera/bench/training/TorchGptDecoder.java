package dev.tessera.bench.training;

import static dev.tessera.bench.training.GptShapes.CONTEXT;
import static dev.tessera.bench.training.GptShapes.EMBD;
import static dev.tessera.bench.training.GptShapes.HEADS;
import static dev.tessera.bench.training.GptShapes.LAYERS;
import static dev.tessera.bench.training.GptShapes.VOCAB;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import dev.tessera.bench.PyTorch;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The {@link GptShapes} GPT-2 for inference on PyTorch's eager ops through DJL (the anchor of
 * {@link GptGenerateBenchmark}): the same architecture as {@link TorchGpt} (learned positions,
 * pre-LN blocks, fused QKV, exact GELU — Tessera uses the tanh form, same cost — tied head), no
 * gradients; the LM head runs on the last position only. Greedy decoding batch 1 either recomputes the whole prefix at every step or keeps a
 * manual past key/value cache: per layer (1, H, T, hs) tensors that grow by {@code concat} along
 * T each step, as Hugging Face's {@code past_key_values} did, the single new query attending to
 * all of them without a mask. Each step's intermediates live in a sub-manager closed at the end of
 * the step; only the cache tensors outlive it (attached to the generation's manager).
 */
final class TorchGptDecoder implements AutoCloseable {
    private final NDManager manager;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final NDArray[] paramArray;
    private final NDArray causalBias; // (CONTEXT, CONTEXT): 0 on and below the diagonal, −1e9 above

    TorchGptDecoder() {
        manager = PyTorch.newManager();
        Random rnd = new Random(1);
        params.put("wte", normal(rnd, 0.02, VOCAB, EMBD));
        params.put("wpe", normal(rnd, 0.01, CONTEXT, EMBD));
        for (int l = 0; l < LAYERS; l++) {
            String p = "h." + l + ".";
            params.put(p + "ln_1.weight", manager.ones(new Shape(EMBD)));
            params.put(p + "ln_1.bias", manager.zeros(new Shape(EMBD)));
            params.put(p + "attn.c_attn.weight", normal(rnd, 0.02, EMBD, 3 * EMBD));
            params.put(p + "attn.c_attn.bias", manager.zeros(new Shape(3 * EMBD)));
            params.put(p + "attn.c_proj.weight", normal(rnd, 0.02, EMBD, EMBD));
            params.put(p + "attn.c_proj.bias", manager.zeros(new Shape(EMBD)));
            params.put(p + "ln_2.weight", manager.ones(new Shape(EMBD)));
            params.put(p + "ln_2.bias", manager.zeros(new Shape(EMBD)));
            params.put(p + "mlp.c_fc.weight", normal(rnd, 0.02, EMBD, 4 * EMBD));
            params.put(p + "mlp.c_fc.bias", manager.zeros(new Shape(4 * EMBD)));
            params.put(p + "mlp.c_proj.weight", normal(rnd, 0.02, 4 * EMBD, EMBD));
            params.put(p + "mlp.c_proj.bias", manager.zeros(new Shape(EMBD)));
        }
        params.put("ln_f.weight", manager.ones(new Shape(EMBD)));
        params.put("ln_f.bias", manager.zeros(new Shape(EMBD)));
        float[] bias = new float[CONTEXT * CONTEXT];
        for (int i = 0; i < CONTEXT; i++) {
            for (int j = i + 1; j < CONTEXT; j++) {
                bias[i * CONTEXT + j] = -1e9f;
            }
        }
        causalBias = manager.create(bias, new Shape(CONTEXT, CONTEXT));
        paramArray = params.values().toArray(new NDArray[0]);
    }

    private NDArray normal(Random rnd, double std, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextGaussian() * std);
        }
        return manager.create(v, new Shape(rows, cols));
    }

    private NDArray p(String name) {
        return params.get(name);
    }

    private static NDArray layerNorm(NDArray x, NDArray g, NDArray b) {
        return x.getNDArrayInternal().layerNorm(x, new Shape(EMBD), g, b, 1e-5f).singletonOrThrow();
    }

    /**
     * Greedy continuation of {@code prompt} by {@code newTokens} tokens.
     *
     * @param useCache keep per-layer past keys/values (grown by concat) instead of recomputing the prefix
     */
    int[] generate(int[] prompt, int newTokens, boolean useCache) {
        if (prompt.length + newTokens > CONTEXT) {
            throw new IllegalArgumentException("prompt (" + prompt.length + ") + newTokens (" + newTokens
                    + ") exceeds the context " + CONTEXT);
        }
        int[] seq = Arrays.copyOf(prompt, prompt.length + newTokens);
        int len = prompt.length;
        NDArray[] pastK = new NDArray[LAYERS]; // per layer (1, H, len, hs), in gen
        NDArray[] pastV = new NDArray[LAYERS];
        try (NDManager gen = manager.newSubManager()) {
            for (int step = 0; step < newTokens; step++) {
                int from = useCache && step > 0 ? len - 1 : 0; // feed only the newest token once the cache holds the rest
                try (NDManager s = gen.newSubManager()) {
                    s.tempAttachAll(paramArray);
                    s.tempAttachAll(causalBias);
                    long[] ids = new long[len - from];
                    for (int i = from; i < len; i++) {
                        ids[i - from] = seq[i];
                    }
                    NDArray logits = forward(s.create(ids, new Shape(1, ids.length)), from,
                            useCache ? pastK : null, useCache ? pastV : null, gen); // (1, 1, V)
                    seq[len] = (int) logits.get(0, 0).argMax().getLong();
                    len++;
                }
            }
        }
        return Arrays.copyOfRange(seq, prompt.length, len);
    }

    /**
     * ids (1, t) at positions [start, start + t) → the last position's logits (1, 1, V) (the head
     * on that position only, as nanoGPT's {@code generate} and Tessera's generator do); with {@code pastK}/{@code pastV}
     * non-null, attends to and extends the cache (moved to {@code keep} so it outlives the step).
     */
    private NDArray forward(NDArray ids, int start, NDArray[] pastK, NDArray[] pastV, NDManager keep) {
        int t = (int) ids.getShape().get(1);
        int hs = EMBD / HEADS;
        NDArray x = ids.getNDArrayInternal().embedding(ids, p("wte"), SparseFormat.DENSE).singletonOrThrow()
                .add(p("wpe").get(start + ":" + (start + t))); // (1, t, C)
        for (int l = 0; l < LAYERS; l++) {
            String n = "h." + l + ".";
            NDArray h = layerNorm(x, p(n + "ln_1.weight"), p(n + "ln_1.bias"));
            NDArray qkv = h.matMul(p(n + "attn.c_attn.weight")).add(p(n + "attn.c_attn.bias")); // (1, t, 3C)
            NDList parts = qkv.split(3, 2);
            NDArray q = parts.get(0).reshape(1, t, HEADS, hs).transpose(0, 2, 1, 3); // (1, H, t, hs)
            NDArray k = parts.get(1).reshape(1, t, HEADS, hs).transpose(0, 2, 1, 3);
            NDArray v = parts.get(2).reshape(1, t, HEADS, hs).transpose(0, 2, 1, 3);
            if (pastK != null && pastK[l] != null) {
                NDArray oldK = pastK[l];
                NDArray oldV = pastV[l];
                k = oldK.concat(k, 2); // (1, H, len, hs)
                v = oldV.concat(v, 2);
                oldK.close();
                oldV.close();
            }
            if (pastK != null) {
                k.attach(keep);
                v.attach(keep);
                pastK[l] = k;
                pastV[l] = v;
            }
            NDArray att = q.matMul(k.transpose(0, 1, 3, 2)).mul(1.0 / Math.sqrt(hs)); // (1, H, t, len)
            if (t > 1) { // a prefill (or no cache): causal mask; a single new query sees every cached key
                long len = k.getShape().get(2);
                att = att.add(causalBias.get((len - t) + ":" + len + ", :" + len));
            }
            NDArray y = att.softmax(-1).matMul(v).transpose(0, 2, 1, 3).reshape(1, t, EMBD); // (1, t, C)
            x = x.add(y.matMul(p(n + "attn.c_proj.weight")).add(p(n + "attn.c_proj.bias")));
            h = layerNorm(x, p(n + "ln_2.weight"), p(n + "ln_2.bias"));
            h = Activation.gelu(h.matMul(p(n + "mlp.c_fc.weight")).add(p(n + "mlp.c_fc.bias")));
            x = x.add(h.matMul(p(n + "mlp.c_proj.weight")).add(p(n + "mlp.c_proj.bias")));
        }
        x = layerNorm(x.get(":, " + (t - 1) + ":, :"), p("ln_f.weight"), p("ln_f.bias")); // (1, 1, C)
        return x.matMul(p("wte").transpose()); // (1, 1, V)
    }

    @Override
    public void close() {
        manager.close();
    }
}
