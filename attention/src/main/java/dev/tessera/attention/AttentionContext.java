package dev.tessera.attention;

import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Per-call inputs that every attention layer of a model shares.
 *
 * @param positions (B, T) positions of the queries (RoPE), never null
 * @param keyPadding (B, Tk) non-zero for real keys, or null
 * @param cache the KV cache of an incremental call (between {@link KvCache#begin} and
 *     {@link KvCache#commit}), or null
 * @param causalOffset keys before the first query (the cache's used slots)
 */
public record AttentionContext(INDArray positions, INDArray keyPadding, KvCache cache, int causalOffset) {}
