package dev.tessera.core;

import dev.tessera.host.HostMemory;
import java.lang.ref.Reference;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Matrix products with PyTorch's {@code matmul} semantics for ranks ≥ 2.
 *
 * <ul>
 *   <li>(M, K) · (K, N) → (M, N)</li>
 *   <li>(..., M, K) · (K, N) → (..., M, N): the leading dims are folded into M, so a linear
 *       layer over (B, T, C) is one GEMM, not B.</li>
 *   <li>(..., M, K) · (..., K, N) → (..., M, N): batch dims broadcast (checked), one batched
 *       GEMM; gradients are summed back over broadcast batch dims.</li>
 * </ul>
 */
public final class MatMul {
    private MatMul() {}

    /** {@code a @ b}; see the class comment for the supported shapes. */
    public static Tensor matmul(Tensor a, Tensor b) {
        Checks.sameDtype("matmul", "a", a, "b", b);
        Checks.floating("matmul", "a", a);
        if (a.rank() < 2 || b.rank() < 2) {
            throw new IllegalArgumentException("matmul: a and b must have rank >= 2, but a has shape "
                    + Arrays.toString(a.shape()) + " and b has shape " + Arrays.toString(b.shape()));
        }
        long k = a.size(-1);
        if (b.size(-2) != k) {
            throw new IllegalArgumentException("matmul: inner dimensions differ: a has shape " + Arrays.toString(a.shape())
                    + " (K = " + k + ") but b has shape " + Arrays.toString(b.shape()) + " (K = " + b.size(-2) + ")");
        }
        return b.rank() == 2 ? foldedMatmul(a, b) : batchedMatmul(a, b);
    }

    /**
     * A linear layer in one node: x (..., in) · weight (in, out) + bias (out) → (..., out).
     * The weight is input-major, as Hugging Face GPT-2's {@code Conv1D}; {@code bias} may be null.
     * On the host in float32 the bias is added to the GEMM output in place, rows in parallel
     * ({@link LinearEpilogue#addBias}); elsewhere by ND4J's broadcast add.
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        checkLinear("linear", x, weight, bias);
        long in = weight.size(0);
        long out = weight.size(1);
        long[] xShape = x.shape();
        long[] outShape = xShape.clone();
        outShape[outShape.length - 1] = out;
        INDArray x2 = x.data().reshape('c', -1, in); // (N, in)
        INDArray y = Kernels.gemm(x2, weight.data(), false, false); // (N, out)
        if (bias != null) {
            if (hostFloat(y)) {
                LinearEpilogue.addBias(HostMemory.floats(y), (int) y.size(0), (int) out, HostMemory.toFloatArray(bias.data()));
            } else if (out == 1) {
                // ND4J's row-vector add with a length-1 vector turns a NaN bias into 1e-5, hiding a
                // diverged width-1 head; an elementwise add keeps NaN/Inf
                y.addi(bias.data().reshape(1, 1).broadcast(y.shape()));
            } else {
                y.addiRowVector(bias.data());
            }
        }
        Tensor[] inputs = bias == null ? new Tensor[] {x, weight} : new Tensor[] {x, weight, bias};
        return Tensor.fromOp("linear", y.reshape('c', outShape), g -> {
            INDArray g2 = g.reshape('c', -1, out); // (N, out)
            if (x.requiresGrad()) {
                x.accumulateGradOwned(Kernels.gemm(g2, weight.data(), false, true).reshape('c', xShape));
            }
            if (weight.requiresGrad()) {
                weight.accumulateGradOwned(Kernels.gemm(x2, g2, true, false));
            }
            if (bias != null && bias.requiresGrad()) {
                bias.accumulateGradOwned(Kernels.sumRows(g2)); // (out)
            }
        }, inputs);
    }

    /**
     * {@code gelu(linear(x, weight, bias))} (exact GELU, {@link Activations#gelu}) in one node, the
     * first half of a GPT MLP. See {@link #linearGeluTanh} for what the fusion saves.
     */
    public static Tensor linearGelu(Tensor x, Tensor weight, Tensor bias) {
        return linearGelu("linearGelu", x, weight, bias, LinearEpilogue.Gelu.EXACT);
    }

    /**
     * {@code geluTanh(linear(x, weight, bias))} (GPT-2's MLP up-projection) in one node. On the host
     * in float32 with a bias: the GEMM writes h (N, out), then one pass adds the bias into h (kept for
     * the backward) and writes y = GELU(h); the backward makes one pass computing dh = g·GELU'(h) and
     * the bias gradient's column sums together, then the two GEMMs of dh. Otherwise (no bias, float64,
     * a non-host backend) it is the composition {@code linear} then {@code geluTanh}, equal to float
     * rounding.
     */
    public static Tensor linearGeluTanh(Tensor x, Tensor weight, Tensor bias) {
        return linearGelu("linearGeluTanh", x, weight, bias, LinearEpilogue.Gelu.TANH);
    }

    private static Tensor linearGelu(String op, Tensor x, Tensor weight, Tensor bias, LinearEpilogue.Gelu gelu) {
        checkLinear(op, x, weight, bias);
        if (bias == null || !HostMemory.available() || x.dtype() != DataType.FLOAT) {
            return composedLinearGelu(x, weight, bias, gelu);
        }
        long in = weight.size(0);
        long out = weight.size(1);
        long[] xShape = x.shape();
        long[] outShape = xShape.clone();
        outShape[outShape.length - 1] = out;
        INDArray x2 = x.data().reshape('c', -1, in); // (N, in)
        INDArray h = Kernels.gemm(x2, weight.data(), false, false); // (N, out), pre-activation once the bias is in
        int rows = (int) h.size(0);
        int cols = (int) out;
        INDArray y = HostMemory.newFloats(rows, cols); // (N, out)
        LinearEpilogue.biasGelu(HostMemory.floats(h), rows, cols, HostMemory.toFloatArray(bias.data()), gelu, HostMemory.floats(y));
        Tensor result = Tensor.fromOp(op, y.reshape('c', outShape), g -> {
            INDArray g2 = HostMemory.dense(g).reshape('c', -1, out); // (N, out)
            INDArray dh = HostMemory.newFloats(rows, cols); // (N, out)
            float[] dBias = LinearEpilogue.geluBackwardWithBiasGrad(HostMemory.floats(h), HostMemory.floats(g2), rows, cols,
                    gelu, HostMemory.floats(dh));
            Reference.reachabilityFence(g2);
            if (x.requiresGrad()) {
                x.accumulateGradOwned(Kernels.gemm(dh, weight.data(), false, true).reshape('c', xShape));
            }
            if (weight.requiresGrad()) {
                weight.accumulateGradOwned(Kernels.gemm(x2, dh, true, false));
            }
            if (bias.requiresGrad()) {
                bias.accumulateGradOwned(HostMemory.fromArray(dBias, out)); // (out)
            }
            HostMemory.release(dh);
            Tensor.releaseSaved(h);
        }, x, weight, bias);
        if (!result.requiresGrad()) {
            HostMemory.release(h); // no backward will read the pre-activation
        }
        return result;
    }

    /** The unfused path of {@link #linearGelu}: the same formulas as two nodes. */
    static Tensor composedLinearGelu(Tensor x, Tensor weight, Tensor bias, LinearEpilogue.Gelu gelu) {
        Tensor h = linear(x, weight, bias);
        return gelu == LinearEpilogue.Gelu.EXACT ? Activations.gelu(h) : Activations.geluTanh(h);
    }

    private static void checkLinear(String op, Tensor x, Tensor weight, Tensor bias) {
        Checks.sameDtype(op, "x", x, "weight", weight);
        Checks.rank(op, "weight", weight, 2);
        long in = weight.size(0);
        long out = weight.size(1);
        if (x.rank() < 1 || x.size(-1) != in) {
            throw new IllegalArgumentException(op + ": x has shape " + Arrays.toString(x.shape())
                    + " but weight has shape " + Arrays.toString(weight.shape()) + "; x's last dim must be " + in);
        }
        if (bias != null) {
            Checks.sameDtype(op, "x", x, "bias", bias);
            Checks.shape(op, "bias", bias.data(), out);
        }
    }

    /** Whether a GEMM output takes the host bias kernel: CPU backend, dense float32. */
    private static boolean hostFloat(INDArray y) {
        return HostMemory.available() && y.dataType() == DataType.FLOAT && HostMemory.isDense(y)
                && y.length() < Integer.MAX_VALUE;
    }

    private static Tensor foldedMatmul(Tensor a, Tensor b) {
        long[] aShape = a.shape();
        long k = b.size(0);
        long n = b.size(1);
        INDArray a2 = a.rank() == 2 ? a.data() : a.data().reshape('c', -1, k); // (M', K)
        INDArray out2 = Kernels.gemm(a2, b.data(), false, false); // (M', N)
        long[] outShape = aShape.clone();
        outShape[outShape.length - 1] = n;
        INDArray out = a.rank() == 2 ? out2 : out2.reshape('c', outShape);
        return Tensor.fromOp("matmul", out, g -> {
            INDArray g2 = a.rank() == 2 ? g : g.reshape('c', -1, n); // (M', N)
            if (a.requiresGrad()) {
                a.accumulateGradOwned(Kernels.gemm(g2, b.data(), false, true).reshape('c', aShape));
            }
            if (b.requiresGrad()) {
                b.accumulateGradOwned(Kernels.gemm(a2, g2, true, false));
            }
        }, a, b);
    }

    private static Tensor batchedMatmul(Tensor a, Tensor b) {
        long[] aShape = a.shape();
        long[] bShape = b.shape();
        long m = a.size(-2);
        long k = a.size(-1);
        long n = b.size(-1);
        long[] batch = Checks.broadcastShape("matmul", "a's batch dims",
                Arrays.copyOf(aShape, aShape.length - 2), "b's batch dims", Arrays.copyOf(bShape, bShape.length - 2));
        long batchCount = 1;
        for (long d : batch) {
            batchCount *= d;
        }
        long bt = batchCount;
        INDArray a3 = expandBatch(a.data(), batch, m, k).reshape('c', bt, m, k); // (Bt, M, K)
        INDArray b3 = expandBatch(b.data(), batch, k, n).reshape('c', bt, k, n); // (Bt, K, N)
        long[] outShape = Arrays.copyOf(batch, batch.length + 2);
        outShape[batch.length] = m;
        outShape[batch.length + 1] = n;
        INDArray out = Kernels.batchedGemm(a3, b3, false, false).reshape('c', outShape);
        return Tensor.fromOp("matmul", out, g -> {
            INDArray g3 = g.reshape('c', bt, m, n);
            if (a.requiresGrad()) {
                INDArray ga = Kernels.batchedGemm(g3, b3, false, true).reshape('c', fullShape(batch, m, k));
                a.accumulateGradOwned(Elementwise.reduceTo(ga, aShape));
            }
            if (b.requiresGrad()) {
                INDArray gb = Kernels.batchedGemm(a3, g3, true, false).reshape('c', fullShape(batch, k, n));
                b.accumulateGradOwned(Elementwise.reduceTo(gb, bShape));
            }
        }, a, b);
    }

    private static long[] fullShape(long[] batch, long r, long c) {
        long[] s = Arrays.copyOf(batch, batch.length + 2);
        s[batch.length] = r;
        s[batch.length + 1] = c;
        return s;
    }

    private static INDArray expandBatch(INDArray x, long[] batch, long r, long c) {
        long[] full = fullShape(batch, r, c);
        if (Arrays.equals(x.shape(), full)) {
            return x;
        }
        return Elementwise.expand(x, full).dup('c');
    }
}
