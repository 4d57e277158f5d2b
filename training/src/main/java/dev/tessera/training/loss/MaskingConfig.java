package dev.tessera.training.loss;

import java.util.Arrays;

/**
 * BERT's masked-LM corruption: each eligible token is selected with probability
 * {@code selectProb}; a selected token becomes [MASK] with probability {@code maskProb}, a
 * uniformly random non-special token with probability {@code randomProb}, and stays unchanged
 * otherwise. Special and padding tokens are never selected.
 *
 * @param vocabSize V; random replacements are drawn from [0, V) minus the special ids
 * @param maskId the [MASK] id
 * @param specialIds ids never selected nor drawn as replacements (padding, [CLS], [SEP], [MASK], ...)
 * @param selectProb typical 0.15
 * @param maskProb typical 0.8
 * @param randomProb typical 0.1 (maskProb + randomProb ≤ 1; the rest is kept)
 */
public record MaskingConfig(int vocabSize, int maskId, int[] specialIds, double selectProb, double maskProb,
        double randomProb) {
    public MaskingConfig {
        if (vocabSize < 2) {
            throw new IllegalArgumentException("vocabSize must be >= 2 but was " + vocabSize);
        }
        if (maskId < 0 || maskId >= vocabSize) {
            throw new IllegalArgumentException("maskId must be in [0, " + vocabSize + ") but was " + maskId);
        }
        specialIds = specialIds == null ? new int[0] : specialIds.clone();
        for (int s : specialIds) {
            if (s < 0 || s >= vocabSize) {
                throw new IllegalArgumentException("specialIds must be in [0, " + vocabSize + ") but contain " + s);
            }
        }
        if (!(selectProb > 0 && selectProb <= 1)) {
            throw new IllegalArgumentException("selectProb must be in (0, 1] but was " + selectProb);
        }
        if (!(maskProb >= 0 && randomProb >= 0 && maskProb + randomProb <= 1 + 1e-12)) {
            throw new IllegalArgumentException("maskProb and randomProb must be >= 0 with sum <= 1 but were "
                    + maskProb + " and " + randomProb);
        }
    }

    /** BERT's 15% with 80/10/10; {@code maskId} is treated as special too. */
    public static MaskingConfig bert(int vocabSize, int maskId, int... specialIds) {
        int[] all = Arrays.copyOf(specialIds, specialIds.length + 1);
        all[specialIds.length] = maskId;
        return new MaskingConfig(vocabSize, maskId, all, 0.15, 0.8, 0.1);
    }

    @Override
    public int[] specialIds() {
        return specialIds.clone();
    }
}
