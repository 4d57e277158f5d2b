package dev.tessera.core;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Inverted dropout: zero each element with probability p and scale the rest by 1/(1-p). */
public final class Dropout {
    private Dropout() {}

    /**
     * Applies dropout with a mask drawn from {@code rng}. With {@code p == 0} returns {@code x}
     * itself; {@code p} must be in [0, 1).
     */
    public static Tensor dropout(Tensor x, double p, Rng rng) {
        if (!(p >= 0 && p < 1)) {
            throw new IllegalArgumentException("dropout: p must be in [0, 1) but was " + p);
        }
        if (p == 0) {
            return x;
        }
        INDArray mask = mask(rng, p, x.dtype(), x.shape());
        return Tensor.fromOp("dropout", x.data().mul(mask), g -> x.accumulateGradOwned(g.mul(mask)), x);
    }

    /** A {0, 1/(1-p)} mask of the given shape. */
    static INDArray mask(Rng rng, double p, DataType dtype, long[] shape) {
        long n = 1;
        for (long d : shape) {
            n *= d;
        }
        float scale = (float) (1.0 / (1.0 - p));
        if (dtype == DataType.DOUBLE) {
            double[] m = new double[Math.toIntExact(n)];
            for (int i = 0; i < m.length; i++) {
                m[i] = rng.nextDouble() < p ? 0.0 : 1.0 / (1.0 - p);
            }
            return Nd4j.create(m, shape, DataType.DOUBLE);
        }
        float[] m = new float[Math.toIntExact(n)];
        for (int i = 0; i < m.length; i++) {
            m[i] = rng.nextDouble() < p ? 0f : scale;
        }
        return Nd4j.create(m, shape, 'c').castTo(dtype);
    }
}
