package dev.tessera.core;

import java.util.Arrays;
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
     */
    public static Tensor linear(Tensor x, Tensor weight, Tensor bias) {
        Checks.sameDtype("linear", "x", x, "weight", weight);
        Checks.rank("linear", "weight", weight, 2);
        long in = weight.size(0);
        long out = weight.size(1);
        if (x.rank() < 1 || x.size(-1) != in) {
            throw new IllegalArgumentException("linear: x has shape " + Arrays.toString(x.shape())
                    + " but weight has shape " + Arrays.toString(weight.shape()) + "; x's last dim must be " + in);
        }
        if (bias != null) {
            Checks.sameDtype("linear", "x", x, "bias", bias);
            Checks.shape("linear", "bias", bias.data(), out);
        }
        long[] xShape = x.shape();
        long[] outShape = xShape.clone();
        outShape[outShape.length - 1] = out;
        INDArray x2 = x.data().reshape('c', -1, in); // (N, in)
        INDArray y = Kernels.gemm(x2, weight.data(), false, false); // (N, out)
        if (bias != null) {
            if (out == 1) {
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
