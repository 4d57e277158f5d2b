package dev.tessera.backend;

import dev.tessera.host.HostMemory;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Matrix products on {@link INDArray}s: MKL's CBLAS called directly on the arrays' own buffers
 * where MKL is loaded ({@link Backend#hasDirectMkl()}), ND4J's matmul everywhere else (OpenBLAS,
 * ARM, the CUDA backend).
 *
 * <p>Why direct (measured on a 2-core AVX-512 machine, float32): ND4J's {@code mmuli} with MKL
 * underneath reached 37 / 75 / 140 / 188 GFLOP/s at n = 256 / 512 / 1024 / 2048 while
 * {@code cblas_sgemm} on the same buffers reached 201 / 305 / 306 / 284, with bit-identical
 * results; ND4J's op dispatch, not MKL, was the gap. The direct path therefore hands CBLAS the
 * address of each array's first element with its leading dimension, and never copies an operand
 * that is a plain row- or column-major strided matrix (a contiguous array, a transposed view, a
 * block of rows/columns): a column-major view is passed as the transpose of a row-major matrix.
 * Only views with other layouts (e.g. a column of every other row) are copied with
 * {@code dup('c')} first. Batched products use {@code cblas_?gemm_batch_strided} (one call for all
 * heads of an attention matmul rather than one JNI call and one thread-pool wake-up per head);
 * where a batch stride is irregular (overlapping or broadcast batches) it loops over
 * {@code cblas_?gemm}.
 *
 * <p>Shapes: {@code op(x) = transX ? x^T : x}; 2-D {@code op(a)} is (M, K), {@code op(b)} (K, N),
 * the product (M, N). Batched: (Bt, M, K) x (Bt, K, N) -> (Bt, M, N), the transposes applying to
 * the last two axes; Bt must match (no broadcasting). Float32 and float64 only, both operands of one
 * type. Results are new C-order arrays. Mismatches throw {@link IllegalArgumentException} naming
 * both arguments and shapes.
 *
 * <p>Memory: float32 results ({@link #matmul}, {@link #batchedMatmul}, {@link #sumRows}) and the
 * dense copies of operands BLAS cannot describe come from {@link HostMemory#newFloats}, that is
 * from Tessera's pool of warm native blocks where the calling thread has the pool on
 * ({@link HostMemory#setPooling}) and from ND4J otherwise. A fresh ND4J output is page-faulted
 * memory (several microseconds per 4 KB page on a VM, more than the whole product at n = 256);
 * a pooled one reuses the pages of a result released earlier ({@link HostMemory#release}). A
 * pooled result that is never released stays valid as long as it is reachable and is freed when
 * collected, so results handed to users need no care.
 *
 * <p>Which library: single float32 products go to oneDNN's {@code dnnl_sgemm} instead of MKL on
 * CPUs where that is faster (AMD with AVX-512, where MKL runs no AVX-512 code), batched and float64
 * products always to MKL; the choice is made once at {@link Backend#init()} and logged
 * ({@code GemmChoice}). {@code -Dtessera.gemm=mkl|onednn} forces a library.
 *
 * <p>The direct path can be switched off with {@code -Dtessera.gemm=portable} (read at
 * {@link Backend#init()}) or {@link #setForcePortable(boolean)} (tests, benchmarks).
 */
public final class Gemm {

    private static volatile boolean forcePortable;

    private Gemm() {}

    /**
     * Forces (true) or stops forcing (false) ND4J's matmul even where MKL is loaded; for tests
     * that compare both paths and for benchmarks.
     */
    public static void setForcePortable(boolean portable) {
        forcePortable = portable;
    }

    /** True when the next call will use MKL directly. */
    public static boolean usesDirectMkl() {
        return !forcePortable && Backend.hasDirectMkl();
    }

    /**
     * {@code op(a) op(b)}.
     *
     * @param a (M, K), or (K, M) when {@code transA}
     * @param b (K, N), or (N, K) when {@code transB}
     * @return a new C-order (M, N) array of the operands' type
     */
    public static INDArray matmul(INDArray a, INDArray b, boolean transA, boolean transB) {
        Dims d = check("matmul", a, b, transA, transB, 2);
        INDArray c = HostMemory.newUninitialized(a.dataType(), d.m, d.n); // (M, N)
        compute(a, b, transA, transB, c, 1.0, 0.0, d);
        return c;
    }

    /**
     * Batched {@code op(a[i]) op(b[i])} for every i.
     *
     * @param a (Bt, M, K), or (Bt, K, M) when {@code transA}
     * @param b (Bt, K, N), or (Bt, N, K) when {@code transB}
     * @return a new C-order (Bt, M, N) array
     */
    public static INDArray batchedMatmul(INDArray a, INDArray b, boolean transA, boolean transB) {
        Dims d = check("batchedMatmul", a, b, transA, transB, 3);
        INDArray c = HostMemory.newUninitialized(a.dataType(), d.batch, d.m, d.n); // (Bt, M, N)
        compute(a, b, transA, transB, c, 1.0, 0.0, d);
        return c;
    }

    /**
     * {@code c = alpha * op(a) op(b) + beta * c}, in place, for 2-D or batched 3-D operands; what a
     * backward pass uses to add a product into a gradient ({@code beta = 1}). As in BLAS, with
     * {@code beta == 0} the old contents of {@code c} are not read (NaN there does not propagate).
     * {@code c} may be a view; it may even overlap {@code a} or {@code b} (then the product is
     * formed in a temporary first).
     *
     * @param a (M, K) / (Bt, M, K), transposed last two axes when {@code transA}
     * @param b (K, N) / (Bt, K, N), transposed last two axes when {@code transB}
     * @param c (M, N) / (Bt, M, N), same type as a and b
     * @return {@code c}
     */
    public static INDArray matmulInto(INDArray a, INDArray b, boolean transA, boolean transB,
            INDArray c, double alpha, double beta) {
        if (a == null) {
            throw new IllegalArgumentException("Gemm.matmulInto: a is null");
        }
        int rank = a.rank();
        if (rank != 2 && rank != 3) {
            throw new IllegalArgumentException("Gemm.matmulInto: a must be 2-D (M, K) or 3-D (Bt, M, K), got shape "
                    + Arrays.toString(a.shape()));
        }
        Dims d = check("matmulInto", a, b, transA, transB, rank);
        if (c == null) {
            throw new IllegalArgumentException("Gemm.matmulInto: c is null");
        }
        long[] expected = rank == 2 ? new long[] {d.m, d.n} : new long[] {d.batch, d.m, d.n};
        if (!Arrays.equals(c.shape(), expected)) {
            throw new IllegalArgumentException("Gemm.matmulInto: c must have shape " + Arrays.toString(expected)
                    + " for a " + Arrays.toString(a.shape()) + " (transA=" + transA + ") and b "
                    + Arrays.toString(b.shape()) + " (transB=" + transB + "), got " + Arrays.toString(c.shape()));
        }
        if (c.dataType() != a.dataType()) {
            throw new IllegalArgumentException("Gemm.matmulInto: c must have the operands' type " + a.dataType()
                    + ", got " + c.dataType());
        }
        compute(a, b, transA, transB, c, alpha, beta, d);
        return c;
    }

    /**
     * The sum over rows of a matrix, {@code x.sum(0)}: what a linear layer's bias gradient is (the
     * output gradient (N, out) summed over its N rows). On the direct path it is one MKL
     * {@code ?gemv} with a vector of ones, {@code x^T 1}, a single streaming pass over x on MKL's
     * threads; ND4J's column reduction is a strided reduction per column and was about 7% of a GPT
     * training step. Elsewhere, or for a view MKL cannot describe, it is ND4J's {@code sum(0)}.
     * The two differ only in summation order (rounding).
     *
     * @param x (N, C), float32 or float64
     * @return a new (C) array of x's type
     */
    public static INDArray sumRows(INDArray x) {
        if (x == null) {
            throw new IllegalArgumentException("Gemm.sumRows: x is null");
        }
        if (x.rank() != 2) {
            throw new IllegalArgumentException("Gemm.sumRows: x must be 2-D (N, C), got shape " + Arrays.toString(x.shape()));
        }
        DataType t = x.dataType();
        if (t != DataType.FLOAT && t != DataType.DOUBLE) {
            throw new IllegalArgumentException("Gemm.sumRows: only FLOAT and DOUBLE are supported, got " + t
                    + " for x " + Arrays.toString(x.shape()));
        }
        long n = x.size(0);
        long c = x.size(1);
        if (n > 0 && c > 0 && usesDirectMkl()) {
            INDArray y = DirectGemm.trySumRows(x, n, c);
            if (y != null) {
                return y;
            }
        }
        return x.sum(0); // (C)
    }

    // ---------------------------------------------------------------- validation

    /** Problem sizes: op(a) is (m, k), op(b) is (k, n), batch 1 for 2-D. */
    private record Dims(long batch, long m, long n, long k) {}

    private static Dims check(String fn, INDArray a, INDArray b, boolean transA, boolean transB, int rank) {
        String what = rank == 2 ? "2-D" : "3-D";
        String layoutA = rank == 2 ? "(M, K)" : "(Bt, M, K)";
        String layoutB = rank == 2 ? "(K, N)" : "(Bt, K, N)";
        if (a == null || b == null) {
            throw new IllegalArgumentException("Gemm." + fn + ": " + (a == null ? "a" : "b") + " is null");
        }
        if (a.rank() != rank) {
            throw new IllegalArgumentException("Gemm." + fn + ": a must be " + what + " " + layoutA + ", got shape "
                    + Arrays.toString(a.shape()) + " (b has shape " + Arrays.toString(b.shape()) + ")");
        }
        if (b.rank() != rank) {
            throw new IllegalArgumentException("Gemm." + fn + ": b must be " + what + " " + layoutB + ", got shape "
                    + Arrays.toString(b.shape()) + " (a has shape " + Arrays.toString(a.shape()) + ")");
        }
        DataType t = a.dataType();
        if (t != b.dataType()) {
            throw new IllegalArgumentException("Gemm." + fn + ": a and b must have the same type, got a " + t
                    + " " + Arrays.toString(a.shape()) + " and b " + b.dataType() + " " + Arrays.toString(b.shape()));
        }
        if (t != DataType.FLOAT && t != DataType.DOUBLE) {
            throw new IllegalArgumentException("Gemm." + fn + ": only FLOAT and DOUBLE are supported, got " + t
                    + " for a " + Arrays.toString(a.shape()) + " and b " + Arrays.toString(b.shape()));
        }
        int r = rank - 2;
        long m = transA ? a.size(r + 1) : a.size(r);
        long ka = transA ? a.size(r) : a.size(r + 1);
        long kb = transB ? b.size(r + 1) : b.size(r);
        long n = transB ? b.size(r) : b.size(r + 1);
        if (ka != kb) {
            throw new IllegalArgumentException("Gemm." + fn + ": inner dimensions differ: op(a) of a "
                    + Arrays.toString(a.shape()) + " (transA=" + transA + ") has K=" + ka + " but op(b) of b "
                    + Arrays.toString(b.shape()) + " (transB=" + transB + ") has K=" + kb);
        }
        long batch = 1;
        if (rank == 3) {
            if (a.size(0) != b.size(0)) {
                throw new IllegalArgumentException("Gemm." + fn + ": batch sizes differ: a " + Arrays.toString(a.shape())
                        + " has Bt=" + a.size(0) + " but b " + Arrays.toString(b.shape()) + " has Bt=" + b.size(0)
                        + " (no broadcasting)");
            }
            batch = a.size(0);
        }
        return new Dims(batch, m, n, ka);
    }

    // ---------------------------------------------------------------- dispatch

    private static void compute(INDArray a, INDArray b, boolean ta, boolean tb, INDArray c,
            double alpha, double beta, Dims d) {
        if (d.batch == 0 || d.m == 0 || d.n == 0) {
            return; // nothing to write
        }
        if (d.k == 0) {
            // op(a) op(b) is all zeros: C = beta * C, with beta == 0 not reading C.
            if (beta == 0.0) {
                c.assign(0.0);
            } else if (beta != 1.0) {
                c.muli(beta);
            }
            return;
        }
        if (usesDirectMkl() && DirectGemm.tryCompute(a, b, ta, tb, c, alpha, beta, d.batch, d.m, d.n, d.k)) {
            return;
        }
        portable(a, b, ta, tb, c, alpha, beta);
    }

    /** ND4J's MatMul op; the product is formed in a temporary, so c may alias a or b. */
    private static void portable(INDArray a, INDArray b, boolean ta, boolean tb, INDArray c,
            double alpha, double beta) {
        INDArray p = Nd4j.matmul(a, b, ta, tb, false); // (M, N) or (Bt, M, N)
        combine(p, c, alpha, beta);
    }

    /** c = alpha * p + beta * c (p is a scratch array and may be overwritten). */
    static void combine(INDArray p, INDArray c, double alpha, double beta) {
        if (alpha != 1.0) {
            p.muli(alpha);
        }
        if (beta == 0.0) {
            c.assign(p);
        } else {
            if (beta != 1.0) {
                c.muli(beta);
            }
            c.addi(p);
        }
    }
}
