package dev.tessera.core;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.impl.transforms.strict.Erf;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Activation functions, each one autograd node with a hand-written backward that reuses what
 * the forward computed (so a GELU costs one node, not the eight of its composed formula).
 */
public final class Activations {
    private static final double SQRT_2_OVER_PI = Math.sqrt(2.0 / Math.PI);
    private static final double INV_SQRT_2 = 1.0 / Math.sqrt(2.0);
    private static final double INV_SQRT_2PI = 1.0 / Math.sqrt(2.0 * Math.PI);
    private static final double GELU_CUBIC = 0.044715;

    private Activations() {}

    /** tanh(x); backward 1 - y². */
    public static Tensor tanh(Tensor x) {
        Checks.floating("tanh", "x", x);
        INDArray y = Transforms.tanh(x.data(), true);
        return Tensor.fromOp("tanh", y, g -> x.accumulateGradOwned(y.mul(y).rsubi(1.0).muli(g)), x);
    }

    /** 1 / (1 + e^-x); backward y(1 - y). */
    public static Tensor sigmoid(Tensor x) {
        Checks.floating("sigmoid", "x", x);
        INDArray y = Transforms.sigmoid(x.data(), true);
        return Tensor.fromOp("sigmoid", y, g -> x.accumulateGradOwned(y.rsub(1.0).muli(y).muli(g)), x);
    }

    /** max(x, 0); the gradient at 0 is 0. */
    public static Tensor relu(Tensor x) {
        Checks.floating("relu", "x", x);
        INDArray y = Transforms.relu(x.data(), true);
        return Tensor.fromOp("relu", y,
                g -> x.accumulateGradOwned(x.data().gt(0.0).castTo(x.dtype()).muli(g)), x);
    }

    /** SiLU (swish): x·σ(x); backward σ(x)(1 + x(1 - σ(x))). */
    public static Tensor silu(Tensor x) {
        Checks.floating("silu", "x", x);
        INDArray s = Transforms.sigmoid(x.data(), true);
        INDArray y = s.mul(x.data());
        return Tensor.fromOp("silu", y, g -> {
            // σ + x σ (1-σ) = σ + y (1-σ)
            INDArray d = s.rsub(1.0).muli(y).addi(s);
            x.accumulateGradOwned(d.muli(g));
        }, x);
    }

    /** Exact GELU: 0.5·x·(1 + erf(x/√2)) (PyTorch's default {@code approximate='none'}). */
    public static Tensor gelu(Tensor x) {
        Checks.floating("gelu", "x", x);
        INDArray xs = x.data();
        INDArray erf = Nd4j.getExecutioner().exec(new Erf(xs.mul(INV_SQRT_2)));
        INDArray cdf = erf.addi(1.0).muli(0.5); // Φ(x)
        INDArray y = cdf.mul(xs);
        return Tensor.fromOp("gelu", y, g -> {
            // dy/dx = Φ(x) + x·φ(x), φ(x) = exp(-x²/2)/√(2π)
            INDArray pdf = Transforms.exp(xs.mul(xs).muli(-0.5), false).muli(INV_SQRT_2PI);
            x.accumulateGradOwned(pdf.muli(xs).addi(cdf).muli(g));
        }, x);
    }

    /** GELU, tanh approximation (GPT-2's): 0.5·x·(1 + tanh(√(2/π)(x + 0.044715x³))). */
    public static Tensor geluTanh(Tensor x) {
        Checks.floating("geluTanh", "x", x);
        if (HostBuffers.available() && x.dtype() == DataType.FLOAT) {
            return fusedGeluTanh(x);
        }
        return portableGeluTanh(x);
    }

    /**
     * One pass forward, one backward, over float32 buffers. tanh(u) is computed as
     * 1 − 2/(e^{2u} + 1): Math.exp is a JIT intrinsic while Math.tanh is not (it falls back to
     * StrictMath), a 3-4x difference per element here; the absolute error stays ~1e-7 in float.
     */
    private static Tensor fusedGeluTanh(Tensor x) {
        long[] shape = x.shape();
        float[] xs = HostBuffers.floats(x.data());
        float[] t = new float[xs.length];
        float[] y = new float[xs.length];
        for (int i = 0; i < xs.length; i++) {
            float v = xs[i];
            double u = SQRT_2_OVER_PI * (v + GELU_CUBIC * v * v * v);
            float th = (float) (1.0 - 2.0 / (Math.exp(2 * u) + 1.0));
            t[i] = th;
            y[i] = 0.5f * v * (1 + th);
        }
        return Tensor.fromOp("geluTanh", HostBuffers.of(y, shape), g -> {
            float[] gs = HostBuffers.floats(g);
            float[] dx = new float[xs.length];
            for (int i = 0; i < xs.length; i++) {
                float v = xs[i];
                float th = t[i];
                float du = (float) (SQRT_2_OVER_PI * (1 + 3 * GELU_CUBIC * v * v));
                dx[i] = gs[i] * (0.5f * (1 + th) + 0.5f * v * (1 - th * th) * du);
            }
            x.accumulateGradOwned(HostBuffers.of(dx, shape));
        }, x);
    }

    /** The portable path, only ND4J ops. */
    static Tensor portableGeluTanh(Tensor x) {
        INDArray xs = x.data();
        INDArray x2 = xs.mul(xs);
        INDArray inner = x2.mul(GELU_CUBIC).addi(1.0).muli(xs).muli(SQRT_2_OVER_PI);
        INDArray t = Transforms.tanh(inner, false);
        INDArray y = t.add(1.0).muli(xs).muli(0.5);
        return Tensor.fromOp("geluTanh", y, g -> {
            // dy/dx = 0.5(1+t) + 0.5·x·(1-t²)·√(2/π)·(1 + 3·0.044715·x²)
            INDArray du = x2.mul(3 * GELU_CUBIC).addi(1.0).muli(SQRT_2_OVER_PI);
            INDArray d = t.mul(t).rsubi(1.0).muli(du).muli(xs).muli(0.5);
            d.addi(t.add(1.0).muli(0.5));
            x.accumulateGradOwned(d.muli(g));
        }, x);
    }
}
