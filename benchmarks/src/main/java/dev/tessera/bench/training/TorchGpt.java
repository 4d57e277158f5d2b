package dev.tessera.bench.training;

import static dev.tessera.bench.training.GptShapes.BATCH;
import static dev.tessera.bench.training.GptShapes.EMBD;
import static dev.tessera.bench.training.GptShapes.HEADS;
import static dev.tessera.bench.training.GptShapes.LAYERS;
import static dev.tessera.bench.training.GptShapes.SEQ;
import static dev.tessera.bench.training.GptShapes.VOCAB;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.internal.NDArrayEx;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.ndarray.types.SparseFormat;
import ai.djl.nn.Activation;
import ai.djl.training.GradientCollector;
import ai.djl.training.optimizer.Optimizer;
import ai.djl.training.tracker.Tracker;
import dev.tessera.bench.PyTorch;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;

/**
 * The {@link GptShapes} GPT-2 written directly on PyTorch's eager ops through DJL (the anchor
 * of {@link GptTrainStepBenchmark}): learned positions, pre-LN blocks, fused QKV, causal
 * softmax attention, exact GELU MLP 4C wide, tied LM head, mean next-token cross-entropy, DJL's
 * AdamW (PyTorch's fused {@code adam} update with decoupled decay). Intermediates live in a
 * per-step sub-manager so nothing accumulates across steps.
 */
final class TorchGpt implements AutoCloseable {
    private final NDManager manager;
    private final Map<String, NDArray> params = new LinkedHashMap<>();
    private final NDArray ids; // (B, T) int64
    private final NDArray targets; // (B, T − 1, 1) int64
    private final NDArray causalBias; // (T, T): 0 on and below the diagonal, −1e9 above
    private final Optimizer optimizer;

    TorchGpt(int[] tokenIds) {
        manager = PyTorch.newManager();
        Random rnd = new Random(1);
        param("wte", normal(rnd, 0.02, VOCAB, EMBD));
        param("wpe", normal(rnd, 0.01, SEQ, EMBD));
        for (int l = 0; l < LAYERS; l++) {
            String p = "h." + l + ".";
            param(p + "ln_1.weight", manager.ones(new Shape(EMBD)));
            param(p + "ln_1.bias", manager.zeros(new Shape(EMBD)));
            param(p + "attn.c_attn.weight", normal(rnd, 0.02, EMBD, 3 * EMBD));
            param(p + "attn.c_attn.bias", manager.zeros(new Shape(3 * EMBD)));
            param(p + "attn.c_proj.weight", normal(rnd, 0.02, EMBD, EMBD));
            param(p + "attn.c_proj.bias", manager.zeros(new Shape(EMBD)));
            param(p + "ln_2.weight", manager.ones(new Shape(EMBD)));
            param(p + "ln_2.bias", manager.zeros(new Shape(EMBD)));
            param(p + "mlp.c_fc.weight", normal(rnd, 0.02, EMBD, 4 * EMBD));
            param(p + "mlp.c_fc.bias", manager.zeros(new Shape(4 * EMBD)));
            param(p + "mlp.c_proj.weight", normal(rnd, 0.02, 4 * EMBD, EMBD));
            param(p + "mlp.c_proj.bias", manager.zeros(new Shape(EMBD)));
        }
        param("ln_f.weight", manager.ones(new Shape(EMBD)));
        param("ln_f.bias", manager.zeros(new Shape(EMBD)));
        long[] asLong = new long[tokenIds.length];
        for (int i = 0; i < asLong.length; i++) {
            asLong[i] = tokenIds[i];
        }
        ids = manager.create(asLong, new Shape(BATCH, SEQ));
        targets = ids.get(":, 1:").expandDims(-1);
        float[] bias = new float[SEQ * SEQ];
        for (int i = 0; i < SEQ; i++) {
            for (int j = i + 1; j < SEQ; j++) {
                bias[i * SEQ + j] = -1e9f;
            }
        }
        causalBias = manager.create(bias, new Shape(SEQ, SEQ));
        optimizer = Optimizer.adamW().optLearningRateTracker(Tracker.fixed(3e-4f)).optBeta2(0.95f).optWeightDecays(0.1f)
                .build();
    }

    private NDArray normal(Random rnd, double std, int rows, int cols) {
        float[] v = new float[rows * cols];
        for (int i = 0; i < v.length; i++) {
            v[i] = (float) (rnd.nextGaussian() * std);
        }
        return manager.create(v, new Shape(rows, cols));
    }

    private void param(String name, NDArray value) {
        value.setRequiresGradient(true);
        params.put(name, value);
    }

    private NDArray p(String name) {
        return params.get(name);
    }

    private static NDArray layerNorm(NDArray x, NDArray g, NDArray b) {
        return x.getNDArrayInternal().layerNorm(x, new Shape(EMBD), g, b, 1e-5f).singletonOrThrow();
    }

    /** Mean next-token loss of the batch; records the graph when called inside a GradientCollector. */
    private NDArray loss() {
        int hs = EMBD / HEADS;
        NDArrayEx ex = ids.getNDArrayInternal();
        NDArray x = ex.embedding(ids, p("wte"), SparseFormat.DENSE).singletonOrThrow().add(p("wpe")); // (B, T, C)
        for (int l = 0; l < LAYERS; l++) {
            String n = "h." + l + ".";
            NDArray h = layerNorm(x, p(n + "ln_1.weight"), p(n + "ln_1.bias"));
            NDArray qkv = h.matMul(p(n + "attn.c_attn.weight")).add(p(n + "attn.c_attn.bias")); // (B, T, 3C)
            NDList parts = qkv.split(3, 2);
            NDArray q = parts.get(0).reshape(BATCH, SEQ, HEADS, hs).transpose(0, 2, 1, 3); // (B, H, T, hs)
            NDArray k = parts.get(1).reshape(BATCH, SEQ, HEADS, hs).transpose(0, 2, 1, 3);
            NDArray v = parts.get(2).reshape(BATCH, SEQ, HEADS, hs).transpose(0, 2, 1, 3);
            // Scale q (B·T·C elements) rather than the (B, H, T, T) scores: one smaller pass.
            NDArray att = q.mul(1.0 / Math.sqrt(hs)).matMul(k.transpose(0, 1, 3, 2)).add(causalBias).softmax(-1);
            NDArray y = att.matMul(v).transpose(0, 2, 1, 3).reshape(BATCH, SEQ, EMBD); // (B, T, C)
            x = x.add(y.matMul(p(n + "attn.c_proj.weight")).add(p(n + "attn.c_proj.bias")));
            h = layerNorm(x, p(n + "ln_2.weight"), p(n + "ln_2.bias"));
            h = Activation.gelu(h.matMul(p(n + "mlp.c_fc.weight")).add(p(n + "mlp.c_fc.bias")));
            x = x.add(h.matMul(p(n + "mlp.c_proj.weight")).add(p(n + "mlp.c_proj.bias")));
        }
        x = layerNorm(x, p("ln_f.weight"), p("ln_f.bias"));
        // Drop the last position before the head, not after: slicing (B, T, V) logits would copy
        // 67 MB forward and scatter as much back in the backward.
        NDArray logits = x.get(":, :-1, :").matMul(p("wte").transpose()); // (B, T − 1, V)
        NDArray logp = logits.logSoftmax(-1); // (B, T − 1, V)
        return logp.gather(targets, 2).mean().neg();
    }

    /** Forward, backward and AdamW on the fixed batch; returns the loss. */
    double trainStep() {
        float value;
        try (NDManager step = manager.newSubManager()) {
            step.tempAttachAll(params.values().toArray(new NDArray[0]));
            step.tempAttachAll(ids, targets, causalBias);
            try (GradientCollector gc = manager.getEngine().newGradientCollector()) {
                gc.zeroGradients();
                NDArray loss = loss();
                gc.backward(loss);
                value = loss.getFloat();
            }
        }
        for (Map.Entry<String, NDArray> e : params.entrySet()) {
            optimizer.update(e.getKey(), e.getValue(), e.getValue().getGradient());
        }
        return value;
    }

    @Override
    public void close() {
        manager.close();
    }
}
