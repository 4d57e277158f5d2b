package dev.tessera.tokenizer;

import java.util.Set;

/**
 * How {@link BatchEncoder} shapes a batch.
 *
 * @param maxLength        truncate sequences longer than this (0 = no truncation); also the
 *                         padded length for {@link Padding#MAX_LENGTH}, e.g. 512
 * @param padding          {@link Padding#NONE}, {@link Padding#LONGEST} or {@link Padding#MAX_LENGTH}
 * @param paddingSide      where pad tokens go (decoder-only generation usually pads LEFT)
 * @param truncationSide   which end loses tokens when truncating (usually RIGHT)
 * @param padId            id written at padded positions (attention mask 0 there), e.g. 0
 * @param allowedSpecial   special tokens recognised in the texts (usually empty)
 * @param parallel         encode texts on the common fork-join pool when the batch is large
 */
public record BatchOptions(int maxLength, Padding padding, Side paddingSide, Side truncationSide, int padId,
                           Set<String> allowedSpecial, boolean parallel) {
    /** Padding strategy. */
    public enum Padding { NONE, LONGEST, MAX_LENGTH }

    /** Sequence end. */
    public enum Side { LEFT, RIGHT }

    public BatchOptions {
        if (maxLength < 0) {
            throw new IllegalArgumentException("maxLength must be >= 0 (0 = no truncation), got " + maxLength);
        }
        if (padding == null || paddingSide == null || truncationSide == null) {
            throw new IllegalArgumentException("padding, paddingSide and truncationSide must not be null");
        }
        if (padding == Padding.MAX_LENGTH && maxLength == 0) {
            throw new IllegalArgumentException("padding MAX_LENGTH needs maxLength > 0, got 0");
        }
        if (padId < 0) {
            throw new IllegalArgumentException("padId must be >= 0, got " + padId);
        }
        allowedSpecial = allowedSpecial == null ? Set.of() : Set.copyOf(allowedSpecial);
    }

    /** Pad on the right to the longest sequence, no truncation, pad id 0, parallel. */
    public static BatchOptions padLongest(int padId) {
        return new BatchOptions(0, Padding.LONGEST, Side.RIGHT, Side.RIGHT, padId, Set.of(), true);
    }

    /** Truncate on the right and pad on the right to exactly {@code maxLength}. */
    public static BatchOptions fixedLength(int maxLength, int padId) {
        return new BatchOptions(maxLength, Padding.MAX_LENGTH, Side.RIGHT, Side.RIGHT, padId, Set.of(), true);
    }
}
