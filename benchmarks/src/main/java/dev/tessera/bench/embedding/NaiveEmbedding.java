package dev.tessera.bench.embedding;

/**
 * Embedding lookup and its backward as plain loops over row-major float arrays: the obviously
 * correct reference of {@code EmbeddingBackwardBenchmark}.
 */
public final class NaiveEmbedding {
    private NaiveEmbedding() {}

    /** out[i] = table[ids[i]]: (N, C) from a (V, C) table. */
    public static float[] lookup(float[] table, int c, int[] ids) {
        float[] out = new float[ids.length * c];
        for (int i = 0; i < ids.length; i++) {
            System.arraycopy(table, ids[i] * c, out, i * c, c);
        }
        return out;
    }

    /** The table's gradient: grad[ids[i]] += g[i] for every row i of the (N, C) gradient; (V, C). */
    public static float[] scatterAdd(float[] g, int c, int[] ids, int vocab) {
        if (g.length != ids.length * c) {
            throw new IllegalArgumentException("g must have ids.length * c = " + ids.length * c + " values but has " + g.length);
        }
        float[] grad = new float[vocab * c];
        for (int i = 0; i < ids.length; i++) {
            int id = ids[i];
            if (id < 0 || id >= vocab) {
                throw new IllegalArgumentException("ids[" + i + "] must be in [0, " + vocab + ") but was " + id);
            }
            for (int j = 0; j < c; j++) {
                grad[id * c + j] += g[i * c + j];
            }
        }
        return grad;
    }
}
