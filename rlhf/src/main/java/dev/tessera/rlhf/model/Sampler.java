package dev.tessera.rlhf.model;

import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Samples responses from a {@link CausalLm} through its incremental decoder (KV cache): the
 * prompts are fed once, then one token per step for every sequence of the batch, without
 * gradients. A sequence stops at the end token (which is kept); the batch stops when all have
 * stopped or after {@code maxNewTokens}.
 *
 * <p>Prompts of one decoder batch must have equal lengths (no left padding, so no attention
 * mask and no position offsets); {@link #generate} groups prompts by length for that.
 */
public final class Sampler {
    private Sampler() {}

    /**
     * Decoding settings.
     *
     * @param maxNewTokens ≥ 1
     * @param temperature 0 for greedy, else softmax(logits / temperature), typical 1.0 for PPO rollouts
     * @param endToken sampling of a sequence stops after this token
     * @param batchSize prompts per decoder batch, ≥ 1
     */
    public record Settings(int maxNewTokens, double temperature, int endToken, int batchSize) {
        public Settings {
            if (maxNewTokens < 1) {
                throw new IllegalArgumentException("Sampler.Settings: maxNewTokens must be >= 1 but was " + maxNewTokens);
            }
            if (!(temperature >= 0) || Double.isInfinite(temperature)) {
                throw new IllegalArgumentException("Sampler.Settings: temperature must be finite and >= 0 but was " + temperature);
            }
            if (batchSize < 1) {
                throw new IllegalArgumentException("Sampler.Settings: batchSize must be >= 1 but was " + batchSize);
            }
        }
    }

    /** Responses for prompts of any lengths, in the prompts' order (grouped by length internally). */
    public static List<int[]> generate(CausalLm model, List<int[]> prompts, Settings settings, Rng rng) {
        Map<Integer, List<Integer>> byLength = new LinkedHashMap<>();
        for (int i = 0; i < prompts.size(); i++) {
            byLength.computeIfAbsent(prompts.get(i).length, k -> new ArrayList<>()).add(i);
        }
        int[][] out = new int[prompts.size()][];
        for (List<Integer> group : byLength.values()) {
            for (int from = 0; from < group.size(); from += settings.batchSize()) {
                List<Integer> part = group.subList(from, Math.min(group.size(), from + settings.batchSize()));
                int[][] batch = new int[part.size()][];
                for (int i = 0; i < batch.length; i++) {
                    batch[i] = prompts.get(part.get(i));
                }
                int[][] responses = sameLength(model, batch, settings, rng);
                for (int i = 0; i < batch.length; i++) {
                    out[part.get(i)] = responses[i];
                }
            }
        }
        return Arrays.asList(out);
    }

    /** Responses for prompts of equal length, decoded as one batch. */
    public static int[][] sameLength(CausalLm model, int[][] prompts, Settings settings, Rng rng) {
        int b = prompts.length;
        int p = prompts[0].length;
        for (int i = 0; i < b; i++) {
            if (prompts[i].length != p) {
                throw new IllegalArgumentException("Sampler.sameLength: prompts[" + i + "] has " + prompts[i].length
                        + " tokens but prompts[0] has " + p + "; use generate() for mixed lengths");
            }
        }
        int steps = Math.min(settings.maxNewTokens(), model.contextLength() - p);
        if (steps < 1) {
            throw new IllegalArgumentException("Sampler: prompts of " + p + " tokens leave no room in the model's "
                    + model.contextLength() + "-token context");
        }
        int[] flat = new int[b * p];
        for (int i = 0; i < b; i++) {
            System.arraycopy(prompts[i], 0, flat, i * p, p);
        }
        int[][] tokens = new int[b][steps];
        int[] produced = new int[b];
        boolean[] done = new boolean[b];
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            CausalLm.Decoder decoder = model.decoder(b);
            INDArray logits = decoder.feed(Nd4j.createFromArray(flat).reshape(b, p)).data(); // (B, P, V)
            for (int step = 0; step < steps; step++) {
                INDArray last = logits.get(NDArrayIndex.all(), NDArrayIndex.point(logits.size(1) - 1), NDArrayIndex.all());
                double[][] rows = last.castTo(DataType.DOUBLE).dup('c').toDoubleMatrix(); // (B, V)
                int[] next = new int[b];
                boolean all = true;
                for (int i = 0; i < b; i++) {
                    if (done[i]) {
                        next[i] = settings.endToken(); // ignored filler: this row's response is complete
                        continue;
                    }
                    next[i] = pick(rows[i], settings.temperature(), rng);
                    tokens[i][produced[i]++] = next[i];
                    done[i] = next[i] == settings.endToken();
                    all &= done[i];
                }
                if (all || step == steps - 1) {
                    break;
                }
                logits = decoder.feed(Nd4j.createFromArray(next).reshape(b, 1)).data(); // (B, 1, V)
            }
        }
        int[][] out = new int[b][];
        for (int i = 0; i < b; i++) {
            out[i] = Arrays.copyOf(tokens[i], produced[i]);
        }
        return out;
    }

    /**
     * Greedy arg-max (temperature 0) or a draw from softmax(logits / temperature). NaN or +inf
     * logits, or all −inf, are an error: there is no distribution to draw from, and a "draw" would
     * silently be the arg-max or token 0. (−inf alone is a token that cannot be drawn.)
     */
    static int pick(double[] logits, double temperature, Rng rng) {
        int best = 0;
        for (int v = 0; v < logits.length; v++) {
            if (Double.isNaN(logits[v]) || logits[v] == Double.POSITIVE_INFINITY) {
                throw new IllegalStateException("Sampler: the model's logit for token " + v + " is " + logits[v]);
            }
            if (logits[v] > logits[best]) {
                best = v;
            }
        }
        if (logits[best] == Double.NEGATIVE_INFINITY) {
            throw new IllegalStateException("Sampler: every logit is -Infinity, no token can be drawn");
        }
        if (temperature == 0) {
            return best;
        }
        double max = logits[best];
        double[] w = new double[logits.length];
        double sum = 0;
        for (int v = 0; v < w.length; v++) {
            w[v] = Math.exp((logits[v] - max) / temperature);
            sum += w[v];
        }
        double u = rng.nextDouble() * sum;
        for (int v = 0; v < w.length; v++) {
            u -= w[v];
            if (u < 0) {
                return v;
            }
        }
        return best; // rounding left u ≥ 0 after the last weight
    }
}
