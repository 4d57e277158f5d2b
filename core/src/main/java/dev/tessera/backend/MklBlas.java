package dev.tessera.backend;

import java.nio.charset.StandardCharsets;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.mkl.global.mkl_rt;

/**
 * The MKL calls behind {@link Gemm}'s direct path, through JavaCPP's MKL preset
 * ({@code org.bytedeco:mkl:2022.0-1.5.7}). Every operand is a raw address of the first element of
 * a row-major matrix with a leading dimension, as CBLAS takes it.
 *
 * <p>Kept in its own class so that nothing references {@code mkl_rt} (and so nothing tries to load
 * its JNI library) until {@link Backend} has decided that MKL is there; where the MKL jars are
 * absent this class fails to link and {@link Backend} falls back to the portable path.
 */
final class MklBlas {

    static final int ROW_MAJOR = mkl_rt.CblasRowMajor;

    private MklBlas() {}

    static int trans(boolean t) {
        return t ? mkl_rt.CblasTrans : mkl_rt.CblasNoTrans;
    }

    /** C(m,n) = alpha * op(A) op(B) + beta * C, float32. */
    static void sgemm(boolean ta, boolean tb, int m, int n, int k, float alpha,
            long a, int lda, long b, int ldb, float beta, long c, int ldc) {
        mkl_rt.cblas_sgemm(ROW_MAJOR, trans(ta), trans(tb), m, n, k, alpha,
                new At.F(a), lda, new At.F(b), ldb, beta, new At.F(c), ldc);
    }

    /** C(m,n) = alpha * op(A) op(B) + beta * C, float64. */
    static void dgemm(boolean ta, boolean tb, int m, int n, int k, double alpha,
            long a, int lda, long b, int ldb, double beta, long c, int ldc) {
        mkl_rt.cblas_dgemm(ROW_MAJOR, trans(ta), trans(tb), m, n, k, alpha,
                new At.D(a), lda, new At.D(b), ldb, beta, new At.D(c), ldc);
    }

    /** y(n) = alpha * A^T x + beta * y for a row-major A (m, n): a column sum when x is all ones. */
    static void sgemvTrans(int m, int n, float alpha, long a, int lda, long x, float beta, long y) {
        mkl_rt.cblas_sgemv(ROW_MAJOR, mkl_rt.CblasTrans, m, n, alpha, new At.F(a), lda, new At.F(x), 1,
                beta, new At.F(y), 1);
    }

    /** Float64 twin of {@link #sgemvTrans}. */
    static void dgemvTrans(int m, int n, double alpha, long a, int lda, long x, double beta, long y) {
        mkl_rt.cblas_dgemv(ROW_MAJOR, mkl_rt.CblasTrans, m, n, alpha, new At.D(a), lda, new At.D(x), 1,
                beta, new At.D(y), 1);
    }

    /** {@code batch} products, matrix i of each operand at its address + i * stride elements. */
    static void sgemmBatchStrided(boolean ta, boolean tb, int m, int n, int k, float alpha,
            long a, int lda, long strideA, long b, int ldb, long strideB, float beta,
            long c, int ldc, long strideC, int batch) {
        mkl_rt.cblas_sgemm_batch_strided(ROW_MAJOR, trans(ta), trans(tb), m, n, k, alpha,
                new At.F(a), lda, Math.toIntExact(strideA), new At.F(b), ldb, Math.toIntExact(strideB),
                beta, new At.F(c), ldc, Math.toIntExact(strideC), batch);
    }

    /** Float64 twin of {@link #sgemmBatchStrided}. */
    static void dgemmBatchStrided(boolean ta, boolean tb, int m, int n, int k, double alpha,
            long a, int lda, long strideA, long b, int ldb, long strideB, double beta,
            long c, int ldc, long strideC, int batch) {
        mkl_rt.cblas_dgemm_batch_strided(ROW_MAJOR, trans(ta), trans(tb), m, n, k, alpha,
                new At.D(a), lda, Math.toIntExact(strideA), new At.D(b), ldb, Math.toIntExact(strideB),
                beta, new At.D(c), ldc, Math.toIntExact(strideC), batch);
    }

    /** MKL's version string, e.g. "Intel(R) oneAPI Math Kernel Library Version 2022.0...". */
    /** Sets MKL's thread count for every later call (all threads). */
    static void setThreads(int n) {
        mkl_rt.MKL_Set_Num_Threads(n);
    }

    static String version() {
        byte[] buf = new byte[256];
        mkl_rt.MKL_Get_Version_String(buf, buf.length);
        int len = 0;
        while (len < buf.length && buf[len] != 0) {
            len++;
        }
        return new String(buf, 0, len, StandardCharsets.US_ASCII).trim();
    }

    /** The number of threads MKL will use for the next call (its default: the physical cores). */
    static int maxThreads() {
        return mkl_rt.MKL_Get_Max_Threads();
    }

    /**
     * Multiplies two tiny matrices on Java arrays through both entry points and checks the answer,
     * so that a broken or mismatched MKL (missing symbol, wrong ABI) is found at start-up rather
     * than in the middle of a training step.
     *
     * @throws IllegalStateException with the wrong value when the result is wrong
     */
    static void selfTest() {
        // (2,3) x (3,2) = [[58, 64], [139, 154]]
        float[] a = {1, 2, 3, 4, 5, 6};
        float[] b = {7, 8, 9, 10, 11, 12};
        float[] c = new float[4];
        mkl_rt.cblas_sgemm(ROW_MAJOR, mkl_rt.CblasNoTrans, mkl_rt.CblasNoTrans, 2, 2, 3, 1f, a, 3, b, 2, 0f, c, 2);
        double[] cd = new double[8];
        double[] ad = {1, 2, 3, 4, 5, 6, 1, 2, 3, 4, 5, 6};
        double[] bd = {7, 8, 9, 10, 11, 12, 7, 8, 9, 10, 11, 12};
        mkl_rt.cblas_dgemm_batch_strided(ROW_MAJOR, mkl_rt.CblasNoTrans, mkl_rt.CblasNoTrans, 2, 2, 3,
                1.0, ad, 3, 6, bd, 2, 6, 0.0, cd, 2, 4, 2);
        float[] expect = {58, 64, 139, 154};
        for (int i = 0; i < 4; i++) {
            if (c[i] != expect[i] || cd[i] != expect[i] || cd[i + 4] != expect[i]) {
                throw new IllegalStateException("MKL self-test gave a wrong product at element " + i
                        + ": sgemm " + c[i] + ", dgemm_batch_strided " + cd[i] + "/" + cd[i + 4]
                        + ", expected " + expect[i]);
            }
        }
    }

    /** Pointers at a raw address, without allocating or owning memory. */
    private static final class At {
        private At() {}

        static final class F extends FloatPointer {
            F(long address) {
                this.address = address;
            }
        }

        static final class D extends DoublePointer {
            D(long address) {
                this.address = address;
            }
        }
    }
}
