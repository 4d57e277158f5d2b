package dev.tessera.training.generate;

import java.util.Arrays;

/**
 * How the next token is chosen from logits z (V), applied in this order:
 * <ol>
 *   <li>repetition penalty ρ (CTRL): for every id already in the sequence (prompt included),
 *       z ← z / ρ if z &gt; 0 else z · ρ (ρ = 1 disables);</li>
 *   <li>greedy when temperature is 0: the arg-max (lowest id on ties);</li>
 *   <li>otherwise z ← z / temperature, keep the {@code topK} largest (0 keeps all), then the
 *       smallest set of most likely tokens whose probability sums to ≥ {@code topP} (1 keeps
 *       all), renormalise and draw from the seeded generator.</li>
 * </ol>
 *
 * @param temperature 0 for greedy, typical 0.7–1.0
 * @param topK 0 or the number of candidates kept, typical 50
 * @param topP in (0, 1], typical 0.9–0.95
 * @param repetitionPenalty ≥ 1 (typical 1.0–1.3)
 * @param maxNewTokens tokens to generate per sequence at most (&gt; 0)
 * @param stopTokens generation of a sequence ends after it emits one of these (it is included in the output)
 * @param seed seeds the sampler; equal seeds give equal outputs
 */
public record SamplingConfig(double temperature, int topK, double topP, double repetitionPenalty, int maxNewTokens,
        int[] stopTokens, long seed) {
    public SamplingConfig {
        if (!(temperature >= 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("temperature must be finite and >= 0 but was " + temperature);
        }
        if (topK < 0) {
            throw new IllegalArgumentException("topK must be >= 0 but was " + topK);
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("topP must be in (0, 1] but was " + topP);
        }
        if (!(repetitionPenalty >= 1) || Double.isInfinite(repetitionPenalty)) {
            throw new IllegalArgumentException("repetitionPenalty must be finite and >= 1 but was " + repetitionPenalty);
        }
        if (maxNewTokens <= 0) {
            throw new IllegalArgumentException("maxNewTokens must be > 0 but was " + maxNewTokens);
        }
        stopTokens = stopTokens == null ? new int[0] : stopTokens.clone();
    }

    /** Greedy decoding without penalties or stop tokens. */
    public static SamplingConfig greedy(int maxNewTokens) {
        return new SamplingConfig(0, 0, 1, 1, maxNewTokens, new int[0], 0);
    }

    /** Temperature and top-p sampling. */
    public static SamplingConfig sample(double temperature, double topP, int maxNewTokens, long seed) {
        return new SamplingConfig(temperature, 0, topP, 1, maxNewTokens, new int[0], seed);
    }

    public SamplingConfig withStopTokens(int... ids) {
        return new SamplingConfig(temperature, topK, topP, repetitionPenalty, maxNewTokens, ids, seed);
    }

    public SamplingConfig withTopK(int k) {
        return new SamplingConfig(temperature, k, topP, repetitionPenalty, maxNewTokens, stopTokens, seed);
    }

    public SamplingConfig withRepetitionPenalty(double rho) {
        return new SamplingConfig(temperature, topK, topP, rho, maxNewTokens, stopTokens, seed);
    }

    @Override
    public int[] stopTokens() {
        return stopTokens.clone();
    }

    boolean isStop(int token) {
        return Arrays.stream(stopTokens).anyMatch(s -> s == token);
    }
}
