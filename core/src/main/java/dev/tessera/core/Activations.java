package dev.tessera.core;

import dev.tessera.host.HostMemory;
import java.lang.ref.Reference;
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

    /**
     * SwiGLU's gating, silu(gate)·up (the Llama MLP), as one node: the host path computes it in one
     * pass forward and one backward (no saved σ), where {@code gate.silu().mul(up)} takes two nodes
     * and five passes. Shapes must be equal.
     */
    public static Tensor swiglu(Tensor gate, Tensor up) {
        Checks.floating("swiglu", "gate", gate);
        Checks.sameShape("swiglu", "gate", gate, "up", up);
        Checks.sameDtype("swiglu", "gate", gate, "up", up);
        if (!hostFloat(gate)) {
            return silu(gate).mul(up);
        }
        long[] shape = gate.shape();
        int len = Math.toIntExact(gate.length());
        INDArray gd = HostMemory.dense(gate.data());
        INDArray ud = HostMemory.dense(up.data());
        INDArray y = HostMemory.newFloats(shape);
        ElementwiseKernel.map(gd, ud, y, len, (ops, a, ao, b, bo, n, out, oo) -> ops.swiglu(a, ao, b, bo, n, out, oo),
                (ops, a, b, out, from, to) -> ops.swiglu(a, b, out, from, to), null);
        return Tensor.fromOpReadingGradient("swiglu", y, g -> {
            INDArray gg = HostMemory.dense(g);
            INDArray dGate = gate.requiresGrad() ? HostMemory.newFloats(shape) : null;
            INDArray dUp = up.requiresGrad() ? HostMemory.newFloats(shape) : null;
            ElementwiseKernel.map(HostMemory.floats(gd), HostMemory.floats(ud), HostMemory.floats(gg),
                    dGate == null ? null : HostMemory.floats(dGate), dUp == null ? null : HostMemory.floats(dUp), len,
                    (ops, a, ao, b, bo, c, co, n, o1, oo1, o2, oo2) -> ops.swigluBackward(a, ao, b, bo, c, co, n, o1, oo1, o2, oo2));
            Reference.reachabilityFence(gg);
            if (dGate != null) {
                gate.accumulateGradOwned(dGate);
            }
            if (dUp != null) {
                up.accumulateGradOwned(dUp);
            }
        }, gate, up);
    }

    /** Exact GELU: 0.5·x·(1 + erf(x/√2)) (PyTorch's default {@code approximate='none'}). */
    public static Tensor gelu(Tensor x) {
        Checks.floating("gelu", "x", x);
        if (hostFloat(x)) {
            return hostUnary("gelu", x, (ops, a, ao, n, y, yo) -> ops.gelu(a, ao, n, y, yo),
                    (ops, a, ao, g, go, n, dx, dxo) -> ops.geluBackward(a, ao, g, go, n, dx, dxo),
                    (ops, a, y, from, to) -> ops.gelu(a, y, from, to),
                    (ops, a, g, dx, from, to) -> ops.geluBackward(a, g, dx, from, to),
                    (ops, a, ao, n, y, yo) -> ops.gelu(a, ao, n, y, yo),
                    (ops, a, ao, g, go, n, dx, dxo) -> ops.geluBackward(a, ao, g, go, n, dx, dxo));
        }
        return portableGelu(x);
    }

    /** The portable path of {@link #gelu}, only ND4J ops. */
    static Tensor portableGelu(Tensor x) {
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
        if (hostFloat(x)) {
            return hostUnary("geluTanh", x, (ops, a, ao, n, y, yo) -> ops.geluTanh(a, ao, n, y, yo),
                    (ops, a, ao, g, go, n, dx, dxo) -> ops.geluTanhBackward(a, ao, g, go, n, dx, dxo), null, null, null, null);
        }
        return portableGeluTanh(x);
    }

    /** Whether the host (SIMD) path applies: CPU backend, float32. float64 takes the portable path. */
    private static boolean hostFloat(Tensor x) {
        return HostMemory.available() && x.dtype() == DataType.FLOAT;
    }

    /**
     * One pass forward, one backward, over float32 host memory. The backward recomputes the
     * activation's inner function from x instead of saving it: one exp per element costs less than
     * writing and re-reading an (N) intermediate. {@code directForward} and {@code directBackward},
     * where not null, are the in-place forms taken where {@code Simd.direct()} offers them, and
     * {@code bufferedForward} and {@code bufferedBackward} the forms over buffer views taken where
     * {@code Simd.buffers()} does ({@link ElementwiseKernel#map(INDArray, INDArray, int,
     * ElementwiseKernel.Map1, ElementwiseKernel.Direct1, ElementwiseKernel.Buffered1)}).
     */
    private static Tensor hostUnary(String op, Tensor x, ElementwiseKernel.Map1 forward, ElementwiseKernel.Map2 backward,
            ElementwiseKernel.Direct1 directForward, ElementwiseKernel.Direct2 directBackward,
            ElementwiseKernel.Buffered1 bufferedForward, ElementwiseKernel.Buffered2 bufferedBackward) {
        long[] shape = x.shape();
        int len = Math.toIntExact(x.length());
        INDArray xd = HostMemory.dense(x.data());
        INDArray y = HostMemory.newFloats(shape);
        ElementwiseKernel.map(xd, y, len, forward, directForward, bufferedForward);
        return Tensor.fromOpReadingGradient(op, y, g -> {
            INDArray gd = HostMemory.dense(g);
            INDArray dx = HostMemory.newFloats(shape);
            ElementwiseKernel.map(xd, gd, dx, len, backward, directBackward, bufferedBackward);
            Reference.reachabilityFence(gd);
            Reference.reachabilityFence(xd);
            x.accumulateGradOwned(dx);
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
