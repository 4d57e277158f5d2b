package dev.tessera.training.generate;

import dev.tessera.attention.model.CausalLm;
import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.host.HostMemory;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Batched autoregressive generation from any {@link CausalLm}, with or without its incremental
 * decoder (KV cache), under {@code GradMode.noGrad()}: the one sampler for examples, PPO
 * rollouts, ranking samples and evaluation.
 *
 * <p>Prompts of different lengths are left-padded to the longest and masked: padded slots are
 * never attended and positions start at each sequence's first real token, so every sequence gets
 * exactly the continuation it would get alone (greedy), however the batch is composed. With a
 * cache the padded prompts go through the model once (B, P), then each step feeds (B, 1); without
 * one each step recomputes the whole prefix and applies the LM head to its last position only.
 *
 * <p>All sequences advance in lock step. A finished sequence keeps being fed its last token (its
 * outputs are ignored); once that would take it past the context length the filler is masked as
 * padding instead. Unmasked decode steps are what the GPT decode fast path accepts, so masks
 * are passed only when a chunk holds padding.
 *
 * <p>Sampling draws from one generator seeded with {@link SamplingConfig#seed()}, in batch order
 * within a step: equal seeds give equal outputs.
 *
 * <pre>{@code
 * Generation g = Generator.generate(model, new int[][] {{15496, 11}}, SamplingConfig.greedy(20), true);
 * int[] continuation = g.tokens()[0];
 * }</pre>
 */
public final class Generator {
    private Generator() {}

    /** All prompts as one batch; see the class comment. */
    public static Generation generate(CausalLm model, int[][] prompts, SamplingConfig config, boolean useCache) {
        return generate(model, prompts, config, useCache, TokenListener.NONE);
    }

    /** All prompts as one batch, reporting every token to {@code listener} as it is chosen. */
    public static Generation generate(CausalLm model, int[][] prompts, SamplingConfig config, boolean useCache,
            TokenListener listener) {
        checkArguments(model, prompts, config, listener);
        return generateBatch(model, prompts, 0, config, useCache, new Rng(config.seed()), listener);
    }

    /**
     * The prompts in consecutive batches of at most {@code batchSize} (the cache is sized per
     * batch), decoded with the model's cache and one generator seeded with the config's seed; the
     * results and the listener's sequence indices follow the prompts' order.
     */
    public static Generation generateInBatches(CausalLm model, int[][] prompts, SamplingConfig config, int batchSize,
            TokenListener listener) {
        checkArguments(model, prompts, config, listener);
        if (batchSize < 1) {
            throw new IllegalArgumentException("batchSize must be >= 1 but was " + batchSize);
        }
        Rng rng = new Rng(config.seed());
        int[][] tokens = new int[prompts.length][];
        FinishReason[] reasons = new FinishReason[prompts.length];
        for (int from = 0; from < prompts.length; from += batchSize) {
            int[][] part = Arrays.copyOfRange(prompts, from, Math.min(prompts.length, from + batchSize));
            Generation g = generateBatch(model, part, from, config, true, rng, listener);
            System.arraycopy(g.tokens(), 0, tokens, from, part.length);
            System.arraycopy(g.reasons(), 0, reasons, from, part.length);
        }
        return new Generation(tokens, reasons);
    }

    /**
     * One left-padded batch. Slot s of sequence i holds padding for s &lt; pad[i], then its prompt up
     * to slot P = the longest prompt's length, then generated tokens (or fillers once finished).
     *
     * @param offset index of prompts[0] among the caller's prompts (for the listener)
     */
    private static Generation generateBatch(CausalLm model, int[][] prompts, int offset, SamplingConfig config,
            boolean useCache, Rng rng, TokenListener listener) {
        int b = prompts.length;
        int ctx = model.contextLength();
        int v = model.vocabSize();
        int longest = 0;
        int steps = 0; // the most tokens any sequence can get
        for (int[] p : prompts) {
            longest = Math.max(longest, p.length);
            steps = Math.max(steps, Math.min(config.maxNewTokens(), ctx - p.length));
        }
        int width = longest + steps;
        int[][] seq = new int[b][width];
        boolean[][] real = new boolean[b][width];
        int[] pad = new int[b];
        int[] realCount = new int[b]; // real tokens in the slots filled so far
        int[] generated = new int[b];
        FinishReason[] reasons = new FinishReason[b];
        for (int i = 0; i < b; i++) {
            pad[i] = longest - prompts[i].length;
            System.arraycopy(prompts[i], 0, seq[i], pad[i], prompts[i].length);
            Arrays.fill(real[i], pad[i], longest, true);
            realCount[i] = prompts[i].length;
        }
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            CausalLm.Decoder decoder = useCache ? model.newDecoder(b, width) : null;
            if (useCache && decoder == null) {
                throw new IllegalArgumentException("useCache is true but the model returned no decoder");
            }
            int p = longest; // slots [0, p) are filled; the logits of slot p - 1 choose slot p
            while (true) {
                Tensor logits; // (B, t, V) whose last position predicts slot p
                if (decoder == null) {
                    logits = model.lastLogits(ids(seq, 0, p), mask(real, 0, p)); // (B, 1, V)
                } else {
                    int from = p == longest ? 0 : p - 1;
                    logits = decoder.step(ids(seq, from, p), mask(real, from, p)); // (B, p - from, V)
                }
                if (logits.rank() != 3 || logits.size(0) != b || logits.size(2) != v) {
                    throw new IllegalStateException("model returned logits of shape "
                            + Arrays.toString(logits.shape()) + ", expected (" + b + ", t, " + v + ")");
                }
                double[] last = lastPosition(logits.data()); // (B·V) row-major: the rows that predict slot p
                boolean anyActive = false;
                for (int i = 0; i < b; i++) {
                    if (reasons[i] != null) {
                        seq[i][p] = seq[i][p - 1]; // filler, real while it stays inside the context
                        real[i][p] = realCount[i] < ctx;
                        realCount[i] += real[i][p] ? 1 : 0;
                        continue;
                    }
                    double[] row = Arrays.copyOfRange(last, i * v, (i + 1) * v); // (V), TokenChooser may modify it
                    int tok = TokenChooser.choose(row, seq[i], pad[i], p, config, rng);
                    seq[i][p] = tok;
                    real[i][p] = true;
                    realCount[i]++;
                    generated[i]++;
                    if (config.isStop(tok)) {
                        reasons[i] = FinishReason.STOP_TOKEN;
                    } else if (generated[i] == config.maxNewTokens()) {
                        reasons[i] = FinishReason.MAX_NEW_TOKENS;
                    } else if (realCount[i] >= ctx) {
                        reasons[i] = FinishReason.CONTEXT_FULL;
                    } else {
                        anyActive = true;
                    }
                    listener.onToken(offset + i, tok, reasons[i]);
                }
                if (!anyActive || p + 1 >= width) {
                    break;
                }
                p++;
            }
        }
        int[][] out = new int[b][];
        for (int i = 0; i < b; i++) {
            out[i] = Arrays.copyOfRange(seq[i], longest, longest + generated[i]);
            if (reasons[i] == null) {
                throw new IllegalStateException("sequence " + (offset + i) + " has no finish reason after "
                        + generated[i] + " tokens"); // width covers every sequence's limit, so this is a bug
            }
        }
        return new Generation(out, reasons);
    }

    private static void checkArguments(CausalLm model, int[][] prompts, SamplingConfig config, TokenListener listener) {
        if (model == null || config == null || listener == null) {
            throw new IllegalArgumentException("model, config and listener must not be null but were " + model + ", "
                    + config + ", " + listener);
        }
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

    /** Slots [from, to) of every sequence as a (B, to − from) int array. */
    private static INDArray ids(int[][] seq, int from, int to) {
        int b = seq.length;
        int t = to - from;
        int[] flat = new int[b * t];
        for (int i = 0; i < b; i++) {
            System.arraycopy(seq[i], from, flat, i * t, t);
        }
        return Nd4j.createFromArray(flat).reshape('c', b, t);
    }

    /**
     * The attention mask (B, to − from) of slots [from, to), 1 for real tokens, or null when every
     * slot there is real (so unpadded decode steps stay on the models' fast paths).
     */
    private static INDArray mask(boolean[][] real, int from, int to) {
        int b = real.length;
        int t = to - from;
        float[] flat = new float[b * t];
        boolean padded = false;
        for (int i = 0; i < b; i++) {
            for (int j = 0; j < t; j++) {
                boolean r = real[i][from + j];
                flat[i * t + j] = r ? 1 : 0;
                padded |= !r;
            }
        }
        return padded ? Nd4j.createFromArray(flat).reshape('c', b, t) : null;
    }
}
