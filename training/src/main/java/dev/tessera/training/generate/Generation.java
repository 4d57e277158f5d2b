package dev.tessera.training.generate;

/**
 * Generated continuations.
 *
 * @param tokens per sequence, the new tokens only (lengths differ)
 * @param reasons per sequence, why it stopped
 */
public record Generation(int[][] tokens, FinishReason[] reasons) {}
