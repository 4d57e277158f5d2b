package dev.tessera.attention;

import dev.tessera.backend.Gemm;
import dev.tessera.core.GradMode;
import dev.tessera.host.HostMemory;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Parameter;
import java.lang.ref.Reference;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The decode fast path of a GPT-2 model: one new token per sequence (ids (B, 1)) against a
 * {@link KvCache}, under {@code GradMode.noGrad()}, as Java loops and direct GEMMs over buffers
 * that live as long as the cache, so that a decode step allocates one ND4J array (the logits it
 * returns) instead of a dozen per layer.
 *
 * <p>Why (issue 5): after the in-place cached attention ({@link CachedAttention}) a decode step
 * of the benchmark model (4 layers, C = 256, V = 8192) still made about ten ND4J allocations per
 * layer (layer-norm outputs, linear outputs, bias adds, residual adds, GELU), and each allocation
 * costs 75–270 µs on the project's shared 2-core machine (native malloc plus JavaCPP's
 * physical-memory check), i.e. more than the step's arithmetic: ~5 M multiply-adds, memory-bound
 * reads of ~20 MB of weights. Here the residual stream, q/k/v, the attention output and the MLP
 * hidden layer are Java arrays owned by the cache; the GEMM inputs and outputs are five
 * preallocated ND4J arrays, so {@link Gemm#matmulInto} hands MKL their addresses with nothing
 * allocated; layer norm, bias, GELU and the residual adds are plain loops. Weights are read
 * from the parameters on every step (nothing is copied or cached), so a model trained or
 * reloaded between steps is seen as it is.
 *
 * <p>Exactness: the same arithmetic as the general path, in the same order and precision
 * (float32: every value the general path stores as a float is rounded to float here too; layer
 * norm as {@code LayerNormKernel}, GELU-tanh as the fused float kernel, float64 as the portable
 * one), so results agree to rounding (tests: 1e-5 float, 1e-10 double). Taken only when that
 * holds ({@link #applies}); everything else (prompts, masks, training with dropout, gradients,
 * other dtypes or backends) goes through the general path.
 *
 * <p>Switches: {@code -Dtessera.decode=general} or {@link #setEnabled(boolean)} (A/B
 * measurements, tests).
 */
public final class GptDecodeStep {
    private static final Logger log = LoggerFactory.getLogger(GptDecodeStep.class);
    private static volatile boolean enabled = !"general".equalsIgnoreCase(System.getProperty("tessera.decode"));
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double GELU_CUBIC = 0.044715;

    private final int nLayer;
    private final int nHead;
    private final int c; // nEmbd
    private final int hidden; // MLP width
    private final int vocab;
    private final int contextLength;
    private final double eps;
    private final DataType dtype;
    private final Parameter wte; // (V, C)
    private final Parameter wpe; // (P, C)
    private final Parameter lnFw; // (C)
    private final Parameter lnFb; // (C)
    private final Parameter[] ln1w, ln1b, attnW, attnB, attnPw, attnPb, ln2w, ln2b, fcW, fcB, mlpPw, mlpPb; // per layer
    private final Parameter[] all; // every parameter above, for the layout check

    /**
     * Binds the parameters of a GPT-2 model by their Hugging Face names ({@code wte.weight},
     * {@code h.{i}.attn.c_attn.weight}, ...).
     *
     * @param params the model's {@code namedParameters()}
     * @param block the model's block configuration; must be GPT-2's (pre-LN LayerNorm, fused
     *     biased q/k/v, causal, no RoPE/ALiBi/window/GQA, GELU-tanh MLP with bias)
     * @throws IllegalArgumentException when the block is not GPT-2's or a parameter is missing
     */
    public GptDecodeStep(Map<String, Parameter> params, BlockConfig block, int nLayer, int vocab, int contextLength,
            DataType dtype) {
        AttentionConfig a = block.attention();
        if (block.norm() != NormKind.LAYER_NORM || !block.preNorm() || block.mlp() != MlpKind.GELU_TANH
                || !block.mlpBias() || !a.fusedQkv() || !a.bias() || !a.causal() || a.nKvHead() != a.nHead()
                || a.window() != 0 || a.positions() != PositionEncoding.ABSOLUTE) {
            throw new IllegalArgumentException("GptDecodeStep needs GPT-2's block (pre-LN LayerNorm, fused biased "
                    + "c_attn, causal MHA, absolute positions, GELU-tanh MLP with bias) but got " + block);
        }
        this.nLayer = nLayer;
        this.nHead = a.nHead();
        this.c = a.nEmbd();
        this.hidden = block.mlpHidden();
        this.vocab = vocab;
        this.contextLength = contextLength;
        this.eps = block.normEps();
        this.dtype = dtype;
        wte = param(params, "wte.weight");
        wpe = param(params, "wpe.weight");
        lnFw = param(params, "ln_f.weight");
        lnFb = param(params, "ln_f.bias");
        ln1w = layerParams(params, "ln_1.weight");
        ln1b = layerParams(params, "ln_1.bias");
        attnW = layerParams(params, "attn.c_attn.weight");
        attnB = layerParams(params, "attn.c_attn.bias");
        attnPw = layerParams(params, "attn.c_proj.weight");
        attnPb = layerParams(params, "attn.c_proj.bias");
        ln2w = layerParams(params, "ln_2.weight");
        ln2b = layerParams(params, "ln_2.bias");
        fcW = layerParams(params, "mlp.c_fc.weight");
        fcB = layerParams(params, "mlp.c_fc.bias");
        mlpPw = layerParams(params, "mlp.c_proj.weight");
        mlpPb = layerParams(params, "mlp.c_proj.bias");
        List<Parameter> list = new ArrayList<>(List.of(wte, wpe, lnFw, lnFb));
        for (Parameter[] group : new Parameter[][] {ln1w, ln1b, attnW, attnB, attnPw, attnPb, ln2w, ln2b, fcW, fcB,
                mlpPw, mlpPb}) {
            list.addAll(List.of(group));
        }
        all = list.toArray(new Parameter[0]);
    }

    /** Turns the fast path on (default) or off (then every call takes the general path). */
    public static void setEnabled(boolean on) {
        enabled = on;
        log.debug("GPT decode fast path {}", on ? "enabled" : "disabled");
    }

    public static boolean isEnabled() {
        return enabled;
    }

    /**
     * Whether {@link #forward} gives the general path's result for this call: enabled, one new
     * token per sequence without a mask, no gradient recording, no dropout in effect, a float32 or
     * float64 host-memory cache of this model's shape outside a call, and dense row-major
     * parameters of the model's dtype.
     *
     * @param dropoutActive whether the model is training with a dropout probability > 0
     */
    public boolean applies(INDArray ids, INDArray attentionMask, KvCache cache, boolean dropoutActive) {
        if (!enabled || attentionMask != null || cache == null || dropoutActive || GradMode.isEnabled()
                || !HostMemory.available()) {
            return false;
        }
        if (ids == null || ids.rank() != 2 || ids.size(1) != 1 || ids.size(0) != cache.batch()
                || ids.dataType().isFPType()) {
            return false; // the general path checks and reports malformed ids
        }
        if ((dtype != DataType.FLOAT && dtype != DataType.DOUBLE) || cache.dtype() != dtype || !cache.directAccess()
                || cache.pending() >= 0 || cache.nKvHead() != nHead || cache.headDim() * nHead != c) {
            return false;
        }
        for (Parameter p : all) {
            INDArray d = p.data();
            if (d.dataType() != dtype || d.isView() || d.ordering() != 'c') {
                return false;
            }
        }
        return true;
    }

    /**
     * One decode step: appends ids (B, 1) to {@code cache} and returns their logits (B, 1, V), a
     * new array with no autograd node. Call only when {@link #applies} is true.
     *
     * @throws IllegalArgumentException for an id outside [0, V), a position past contextLength or a full cache
     */
    public Tensor forward(INDArray ids, KvCache cache) {
        int b = cache.batch();
        Scratch s = scratch(cache);
        for (int bb = 0; bb < b; bb++) {
            long id = ids.getLong(bb, 0);
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("ids[" + bb + ", 0] = " + id + " is outside the vocabulary [0, "
                        + vocab + ")");
            }
            long pos = cache.length(bb);
            if (pos >= contextLength) {
                throw new IllegalArgumentException("positions up to " + pos + " exceed the model's contextLength "
                        + contextLength + " (sequence or cache too long)");
            }
            s.tokens[bb] = id;
        }
        cache.beginSingle();
        try {
            INDArray logits = step(s, cache, b);
            cache.commit(null);
            return Tensor.constant(logits);
        } catch (RuntimeException e) {
            cache.rollback();
            throw e;
        }
    }

    private INDArray step(Scratch s, KvCache cache, int b) {
        boolean f32 = dtype == DataType.FLOAT;
        int c3 = 3 * c;
        // embeddings: x = wte[id] + wpe[pos], (B, C)
        for (int bb = 0; bb < b; bb++) {
            read(wte.data(), s.tokens[bb] * c, c, s.v1, s.f);
            read(wpe.data(), cache.length(bb) * c, c, s.v2, s.f);
            for (int j = 0; j < c; j++) {
                s.x[bb * c + j] = round(f32, s.v1[j] + s.v2[j]);
            }
        }
        double scale = 1.0 / Math.sqrt((double) c / nHead);
        for (int l = 0; l < nLayer; l++) {
            // attention sublayer: x += c_proj(attn(c_attn(ln_1(x))))
            layerNorm(s, ln1w[l], ln1b[l], b, f32);
            store(s.normOut, b * c, s.inC, s);
            Gemm.matmulInto(s.inC, attnW[l].data(), false, false, s.outQkv, 1.0, 0.0); // (B, C)·(C, 3C)
            load(s.outQkv, b * c3, s.qkv, s);
            addBias(s.qkv, attnB[l].data(), b, c3, s, f32);
            CachedAttention.attendInto(cache, l, new CachedAttention.Rows(s.qkv, c3, 0),
                    new CachedAttention.Rows(s.qkv, c3, c), new CachedAttention.Rows(s.qkv, c3, 2 * c), nHead, scale, 0,
                    s.att, s.scores, s.acc); // (B, C)
            store(s.att, b * c, s.inC, s); // rounded to the dtype, as CachedAttention.forward's output
            Gemm.matmulInto(s.inC, attnPw[l].data(), false, false, s.outC, 1.0, 0.0); // (B, C)·(C, C)
            residual(s, attnPb[l].data(), b, f32);
            // MLP sublayer: x += c_proj(gelu(c_fc(ln_2(x))))
            layerNorm(s, ln2w[l], ln2b[l], b, f32);
            store(s.normOut, b * c, s.inC, s);
            Gemm.matmulInto(s.inC, fcW[l].data(), false, false, s.outH, 1.0, 0.0); // (B, C)·(C, 4C)
            load(s.outH, b * hidden, s.hid, s);
            addBias(s.hid, fcB[l].data(), b, hidden, s, f32);
            geluTanh(s.hid, b * hidden, f32);
            store(s.hid, b * hidden, s.inH, s);
            Gemm.matmulInto(s.inH, mlpPw[l].data(), false, false, s.outC, 1.0, 0.0); // (B, 4C)·(4C, C)
            residual(s, mlpPb[l].data(), b, f32);
        }
        layerNorm(s, lnFw, lnFb, b, f32);
        store(s.normOut, b * c, s.inC, s);
        // the only allocation of the step: the logits handed to the caller, who may keep them
        INDArray logits = Nd4j.createUninitialized(dtype, b, 1, vocab); // (B, 1, V)
        Gemm.matmulInto(s.inC, wte.data(), false, true, logits.reshape(b, vocab), 1.0, 0.0); // (B, C)·(C, V)
        return logits;
    }

    // ------------------------------------------------------------------ the fused pieces

    /** normOut = LayerNorm(x) rows, as {@code LayerNormKernel.forward} for the dtype (float: h and y in float). */
    private void layerNorm(Scratch s, Parameter w, Parameter bias, int b, boolean f32) {
        read(w.data(), 0, c, s.v1, s.f);
        read(bias.data(), 0, c, s.v2, s.f);
        for (int r = 0; r < b; r++) {
            int o = r * c;
            double sum = 0;
            for (int j = 0; j < c; j++) {
                sum += s.x[o + j];
            }
            double mean = sum / c;
            double sq = 0;
            for (int j = 0; j < c; j++) {
                double d = s.x[o + j] - mean;
                sq += d * d;
            }
            if (f32) {
                float rs = (float) (1.0 / Math.sqrt(sq / c + eps));
                float m = (float) mean;
                for (int j = 0; j < c; j++) {
                    float h = ((float) s.x[o + j] - m) * rs;
                    s.normOut[o + j] = h * (float) s.v1[j] + (float) s.v2[j];
                }
            } else {
                double rs = 1.0 / Math.sqrt(sq / c + eps);
                for (int j = 0; j < c; j++) {
                    s.normOut[o + j] = (s.x[o + j] - mean) * rs * s.v1[j] + s.v2[j];
                }
            }
        }
    }

    /** rows (B, n) += bias (n), rounded to the dtype (the general path's {@code linear} stores x·W + b). */
    private static void addBias(double[] rows, INDArray bias, int b, int n, Scratch s, boolean f32) {
        double[] bv = n <= s.v1.length ? s.v1 : s.vH;
        read(bias, 0, n, bv, s.f);
        for (int r = 0; r < b; r++) {
            for (int j = 0; j < n; j++) {
                rows[r * n + j] = round(f32, rows[r * n + j] + bv[j]);
            }
        }
    }

    /** x += outC + bias: a projection back into the residual stream, each sum rounded as the general path stores it. */
    private void residual(Scratch s, INDArray bias, int b, boolean f32) {
        load(s.outC, b * c, s.att, s); // att is free again: reuse it for the projection
        addBias(s.att, bias, b, c, s, f32);
        for (int i = 0; i < b * c; i++) {
            s.x[i] = round(f32, s.x[i] + s.att[i]);
        }
    }

    /** In place; float32 as the fused kernel (tanh through exp), float64 as the portable one (ND4J's tanh). */
    private static void geluTanh(double[] h, int n, boolean f32) {
        for (int i = 0; i < n; i++) {
            if (f32) {
                float v = (float) h[i];
                double u = SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v);
                float th = (float) (1.0 - 2.0 / (Math.exp(2 * u) + 1.0));
                h[i] = 0.5f * v * (1 + th);
            } else {
                double v = h[i];
                double t = Math.tanh((v * v * GELU_CUBIC + 1.0) * v * SQRT_2_OVER_PI);
                h[i] = (t + 1.0) * v * 0.5;
            }
        }
    }

    private static double round(boolean f32, double v) {
        return f32 ? (float) v : v;
    }

    // ------------------------------------------------------------------ host memory

    /**
     * dst[0, n) = a's elements [offset, offset + n), widened to double; one bulk copy (a is dense,
     * row-major), through the float staging array {@code tmp} (at least n long) for float32.
     */
    private static void read(INDArray a, long offset, int n, double[] dst, float[] tmp) {
        if (a.dataType() == DataType.FLOAT) {
            new FloatPointer(a.data().addressPointer()).position(offset).get(tmp, 0, n);
            for (int i = 0; i < n; i++) {
                dst[i] = tmp[i];
            }
        } else {
            new DoublePointer(a.data().addressPointer()).position(offset).get(dst, 0, n);
        }
        Reference.reachabilityFence(a);
    }

    /** The first n elements of a preallocated scratch array, into dst. */
    private static void load(INDArray a, int n, double[] dst, Scratch s) {
        if (a.dataType() == DataType.FLOAT) {
            new FloatPointer(a.data().addressPointer()).get(s.f, 0, n);
            for (int i = 0; i < n; i++) {
                dst[i] = s.f[i];
            }
        } else {
            new DoublePointer(a.data().addressPointer()).get(dst, 0, n);
        }
        Reference.reachabilityFence(a);
    }

    /** src[0, n) into a preallocated scratch array, narrowed to its dtype. */
    private static void store(double[] src, int n, INDArray a, Scratch s) {
        if (a.dataType() == DataType.FLOAT) {
            for (int i = 0; i < n; i++) {
                s.f[i] = (float) src[i];
            }
            new FloatPointer(a.data().addressPointer()).put(s.f, 0, n);
        } else {
            new DoublePointer(a.data().addressPointer()).put(src, 0, n);
        }
        Reference.reachabilityFence(a);
    }

    // ------------------------------------------------------------------ per-cache buffers

    /** The buffers of one decode session, owned by its cache (so two sessions on one model never share them). */
    private static final class Scratch {
        final GptDecodeStep owner;
        final long[] tokens; // (B) this step's ids
        final double[] x; // (B·C) residual stream
        final double[] normOut; // (B·C) layer-norm output
        final double[] qkv; // (B·3C) c_attn output + bias
        final double[] att; // (B·C) attention output, then projection outputs
        final double[] hid; // (B·4C) MLP hidden layer
        final double[] scores; // (capacity) one query's scores
        final double[] acc; // (hs)
        final double[] v1; // (C) a weight row / bias
        final double[] v2; // (C)
        final double[] vH; // (max(3C, 4C)) a wide bias
        final float[] f; // (B·max(3C, 4C)) float staging for bulk copies
        final INDArray inC; // (B, C) GEMM input
        final INDArray inH; // (B, 4C) GEMM input
        final INDArray outQkv; // (B, 3C)
        final INDArray outC; // (B, C)
        final INDArray outH; // (B, 4C)

        Scratch(GptDecodeStep m, int b, int capacity) {
            owner = m;
            int c = m.c;
            int wide = Math.max(3 * c, m.hidden);
            tokens = new long[b];
            x = new double[b * c];
            normOut = new double[b * c];
            qkv = new double[b * 3 * c];
            att = new double[b * c];
            hid = new double[b * m.hidden];
            scores = new double[capacity];
            acc = new double[c / m.nHead];
            v1 = new double[c];
            v2 = new double[c];
            vH = new double[wide];
            f = new float[b * wide];
            inC = Nd4j.createUninitialized(m.dtype, b, c);
            inH = Nd4j.createUninitialized(m.dtype, b, m.hidden);
            outQkv = Nd4j.createUninitialized(m.dtype, b, 3 * c);
            outC = Nd4j.createUninitialized(m.dtype, b, c);
            outH = Nd4j.createUninitialized(m.dtype, b, m.hidden);
        }
    }

    private Scratch scratch(KvCache cache) {
        if (cache.decodeScratch() instanceof Scratch s && s.owner == this) {
            return s;
        }
        Scratch s = new Scratch(this, cache.batch(), cache.capacity());
        cache.decodeScratch(s);
        return s;
    }

    private static Parameter param(Map<String, Parameter> params, String name) {
        Parameter p = params.get(name);
        if (p == null) {
            throw new IllegalArgumentException("GptDecodeStep: the model has no parameter '" + name
                    + "' (expected GPT-2's Hugging Face names)");
        }
        return p;
    }

    private Parameter[] layerParams(Map<String, Parameter> params, String suffix) {
        Parameter[] out = new Parameter[nLayer];
        for (int l = 0; l < nLayer; l++) {
            out[l] = param(params, "h." + l + "." + suffix);
        }
        return out;
    }
}
