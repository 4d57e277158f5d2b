package dev.tessera.nn;

import dev.tessera.core.Require;
import dev.tessera.core.Rng;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Seeded weight initialisers. Every one draws from the caller's {@link Rng}, so a seed fixes the model. */
public final class Init {
    private Init() {}

    /** N(0, std²). GPT-2 uses std = 0.02 for every weight matrix and embedding. */
    public static INDArray normal(Rng rng, DataType dtype, double std, long... shape) {
        return rng.normal(dtype, 0.0, std, shape);
    }

    /**
     * GPT-2's scaled residual init: N(0, (0.02 / sqrt(2·nLayer))²) for the projections that
     * write into the residual stream (attn.c_proj, mlp.c_proj), so its variance stays bounded
     * as depth grows.
     */
    public static INDArray gpt2Residual(Rng rng, DataType dtype, int nLayer, long... shape) {
        Require.positive("nLayer", nLayer);
        return rng.normal(dtype, 0.0, 0.02 / Math.sqrt(2.0 * nLayer), shape);
    }

    /** Xavier/Glorot uniform: U(±sqrt(6 / (fanIn + fanOut))) for a (fanIn, fanOut) matrix. */
    public static INDArray xavierUniform(Rng rng, DataType dtype, long fanIn, long fanOut) {
        double a = Math.sqrt(6.0 / (fanIn + fanOut));
        return rng.uniform(dtype, -a, a, fanIn, fanOut);
    }

    /** Kaiming/He normal for ReLU-like layers: N(0, 2 / fanIn) for a (fanIn, fanOut) matrix. */
    public static INDArray kaimingNormal(Rng rng, DataType dtype, long fanIn, long fanOut) {
        return rng.normal(dtype, 0.0, Math.sqrt(2.0 / fanIn), fanIn, fanOut);
    }
}
