package dev.tessera.training.generate;

import dev.tessera.core.GradMode;
import dev.tessera.host.HostMemory;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Batched autoregressive generation with per-sequence prompt lengths, with or without the
 * model's KV cache, under {@code GradMode.noGrad()}.
 *
 * <p>All sequences advance in lock step, one position per model call, starting at the shortest
 * prompt's length: a sequence still inside its prompt is fed its next prompt token (its logits
 * are not used), the others their last generated token, and finished ones repeat their last
 * token. Because attention is causal and sequences do not interact, this gives every sequence
 * exactly the continuation it would get alone, with no padding masks and one cache length for
 * the whole batch. Without a cache each step recomputes the full prefix (B, p); with one it
 * feeds (B, 1).
 *
 * <pre>{@code
 * Generation g = Generator.generate(model, new int[][] {{15496, 11}}, SamplingConfig.greedy(20), true);
 * int[] continuation = g.tokens()[0];
 * }</pre>
 */
public final class Generator {
    private Generator() {}

    public static Generation generate(CausalLm model, int[][] prompts, SamplingConfig config, boolean useCache) {
        int b = checkPrompts(model, prompts);
        int ctx = model.contextLength();
        int minLen = Integer.MAX_VALUE;
        int maxTotal = 0;
        for (int[] p : prompts) {
            minLen = Math.min(minLen, p.length);
            maxTotal = Math.max(maxTotal, p.length + config.maxNewTokens());
        }
        int capacity = Math.min(ctx, maxTotal);
        int[][] seq = new int[b][capacity];
        int[] len = new int[b];
        int[] generated = new int[b];
        FinishReason[] reasons = new FinishReason[b];
        for (int i = 0; i < b; i++) {
            System.arraycopy(prompts[i], 0, seq[i], 0, prompts[i].length);
            len[i] = prompts[i].length;
        }
        Rng rng = new Rng(config.seed());
        int v = model.vocabSize();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            CausalLm.Decoder decoder = useCache ? model.decoder(b, capacity) : null;
            if (useCache && decoder == null) {
                throw new IllegalArgumentException("useCache is true but the model has no KV cache");
            }
            int p = minLen; // positions [0, p) are known for every sequence
            Tensor logits = null; // (B, t, V) whose last position predicts position p
            while (true) {
                if (decoder == null) {
                    logits = model.lastLogits(ids(seq, 0, p)); // (B, 1, V): only the last position is used
                } else {
                    logits = decoder.append(ids(seq, p == minLen ? 0 : p - 1, p));
                }
                if (logits.rank() != 3 || logits.size(0) != b || logits.size(2) != v) {
                    throw new IllegalStateException("model returned logits of shape "
                            + Arrays.toString(logits.shape()) + ", expected (" + b + ", t, " + v + ")");
                }
                double[] last = lastPosition(logits.data()); // (B·V) row-major: the rows that predict position p
                boolean anyActive = false;
                for (int i = 0; i < b; i++) {
                    if (reasons[i] != null) {
                        seq[i][p] = seq[i][p - 1]; // p < capacity inside the loop
                        continue;
                    }
                    if (p < prompts[i].length) {
                        anyActive = true; // still reading its prompt: seq[i][p] is already the prompt token
                        continue;
                    }
                    double[] row = Arrays.copyOfRange(last, i * v, (i + 1) * v); // (V), TokenChooser may modify it
                    int tok = TokenChooser.choose(row, seq[i], p, config, rng);
                    seq[i][p] = tok;
                    len[i] = p + 1;
                    generated[i]++;
                    if (config.isStop(tok)) {
                        reasons[i] = FinishReason.STOP_TOKEN;
                    } else if (generated[i] == config.maxNewTokens()) {
                        reasons[i] = FinishReason.MAX_NEW_TOKENS;
                    } else if (p + 1 >= ctx) {
                        reasons[i] = FinishReason.CONTEXT_FULL;
                    } else {
                        anyActive = true;
                    }
                }
                if (!anyActive || p + 1 >= capacity) {
                    break;
                }
                p++;
            }
        }
        int[][] out = new int[b][];
        for (int i = 0; i < b; i++) {
            out[i] = Arrays.copyOfRange(seq[i], prompts[i].length, len[i]);
            if (reasons[i] == null) {
                reasons[i] = FinishReason.CONTEXT_FULL;
            }
        }
        return new Generation(out, reasons);
    }

    private static int checkPrompts(CausalLm model, int[][] prompts) {
        if (prompts == null || prompts.length == 0) {
            throw new IllegalArgumentException("prompts must be a non-empty array");
        }
        for (int i = 0; i < prompts.length; i++) {
            int[] p = prompts[i];
            if (p == null || p.length == 0) {
                throw new IllegalArgumentException("prompts[" + i + "] must have at least one token");
            }
            if (p.length >= model.contextLength()) {
                throw new IllegalArgumentException("prompts[" + i + "] has " + p.length
                        + " tokens, which leaves no room in the context length " + model.contextLength());
            }
            for (int t : p) {
                if (t < 0 || t >= model.vocabSize()) {
                    throw new IllegalArgumentException("prompts[" + i + "] holds id " + t + ", outside [0, "
                            + model.vocabSize() + ")");
                }
            }
        }
        return prompts.length;
    }

    /**
     * The last position's logits of every sequence, (B, t, V) → (B·V) doubles. Performance note:
     * this was {@code get(all, point, all)} then per row {@code getRow}, {@code castTo(DOUBLE)},
     * {@code toDoubleVector()}: four ND4J ops per sequence per token. Now one bulk copy of the
     * host buffer (decode steps give (B, 1, V), already dense); the ND4J path stays for backends
     * without host buffers.
     */
    private static double[] lastPosition(INDArray logits) {
        INDArray last = logits.size(1) == 1 ? logits
                : logits.get(NDArrayIndex.all(), NDArrayIndex.point(logits.size(1) - 1), NDArrayIndex.all()); // (B, V)
        if (!HostMemory.available()) {
            return HostMemory.toDoubleArray(last);
        }
        if (last.dataType() == DataType.DOUBLE) {
            return HostMemory.toDoubleArray(last);
        }
        float[] f = HostMemory.toFloatArray(last.dataType() == DataType.FLOAT ? last : last.castTo(DataType.FLOAT));
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
            d[i] = f[i];
        }
        return d;
    }

    /** Columns [from, to) of every sequence as a (B, to − from) int array. */
    private static INDArray ids(int[][] seq, int from, int to) {
        int b = seq.length;
        int t = to - from;
        int[] flat = new int[b * t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(seq[i], from, flat, i * t, t);
        }
        return Nd4j.createFromArray(flat).reshape('c', b, t);
    }
}
