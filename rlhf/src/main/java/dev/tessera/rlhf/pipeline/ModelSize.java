package dev.tessera.rlhf.pipeline;

import dev.tessera.attention.model.GptConfig;

/**
 * Model presets of the demo, all GPT-2-shaped (pre-LN blocks, GELU MLP 4C wide, tied LM head,
 * no dropout). Small enough to pretrain in seconds to a minute on two CPU cores: at these widths
 * ND4J's per-op overhead (~13 µs), not the FLOPs, sets the speed, so depth costs more than width.
 */
public enum ModelSize {
    /** C 32, 1 layer, 2 heads: for tests and smoke runs. */
    TINY(32, 1, 2),
    /** C 64, 2 layers, 4 heads: the default. */
    SMALL(64, 2, 4),
    /** C 128, 3 layers, 4 heads: slower, a little stronger. */
    MEDIUM(128, 3, 4);

    private final int width;
    private final int layers;
    private final int heads;

    ModelSize(int width, int layers, int heads) {
        this.width = width;
        this.layers = layers;
        this.heads = heads;
    }

    /** The GPT configuration for a vocabulary of {@code vocabSize} tokens and sequences up to {@code positions}. */
    public GptConfig gptConfig(int vocabSize, int positions) {
        return new GptConfig(vocabSize, positions, width, layers, heads, 0.0, 1e-5);
    }

    public int width() {
        return width;
    }

    public int layers() {
        return layers;
    }
}
