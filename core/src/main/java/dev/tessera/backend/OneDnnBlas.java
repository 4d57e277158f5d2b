package dev.tessera.backend;

import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.FloatPointer;

/**
 * oneDNN's float32 GEMM ({@code dnnl_sgemm}, row-major) through JavaCPP's preset
 * ({@code org.bytedeco:dnnl:2.5.2-1.5.7}), on raw addresses as {@link MklBlas} takes them.
 *
 * <p>Kept in its own class so that nothing loads oneDNN's JNI library until {@link Backend} has
 * decided to try it; where the jars are absent this class fails to link and the choice falls back
 * to MKL ({@link GemmChoice}). oneDNN runs on its own OpenMP threads, one per available
 * processor; the bindings cannot change that count (see {@link Backend#setThreads}).
 */
final class OneDnnBlas {

    private OneDnnBlas() {}

    /** C(m,n) = alpha * op(A) op(B) + beta * C, float32, row-major. */
    static void sgemm(boolean ta, boolean tb, int m, int n, int k, float alpha,
            long a, int lda, long b, int ldb, float beta, long c, int ldc) {
        int status = dnnl.dnnl_sgemm(ta ? (byte) 'T' : (byte) 'N', tb ? (byte) 'T' : (byte) 'N', m, n, k, alpha,
                new At(a), lda, new At(b), ldb, beta, new At(c), ldc);
        if (status != dnnl.dnnl_success) {
            throw new IllegalStateException("dnnl_sgemm failed with status " + status + " for m=" + m + ", n=" + n
                    + ", k=" + k + ", lda=" + lda + ", ldb=" + ldb + ", ldc=" + ldc);
        }
    }

    /** oneDNN's version, e.g. "oneDNN 2.5.2". */
    static String version() {
        org.bytedeco.dnnl.dnnl_version_t v = dnnl.dnnl_version();
        return "oneDNN " + v.major() + "." + v.minor() + "." + v.patch();
    }

    /**
     * Multiplies two tiny matrices (one transposed) on Java arrays and checks the answer, so that
     * a broken or mismatched oneDNN is found at start-up.
     *
     * @throws IllegalStateException with the wrong value when the result is wrong
     */
    static void selfTest() {
        // (2,3) x (3,2) = [[58, 64], [139, 154]], B given transposed as (2,3)
        float[] a = {1, 2, 3, 4, 5, 6};
        float[] bt = {7, 9, 11, 8, 10, 12};
        float[] c = new float[4];
        int status = dnnl.dnnl_sgemm((byte) 'N', (byte) 'T', 2, 2, 3, 1f, a, 3, bt, 3, 0f, c, 2);
        float[] expect = {58, 64, 139, 154};
        for (int i = 0; i < 4; i++) {
            if (status != dnnl.dnnl_success || c[i] != expect[i]) {
                throw new IllegalStateException("oneDNN self-test gave a wrong product at element " + i + ": " + c[i]
                        + ", expected " + expect[i] + " (status " + status + ")");
            }
        }
    }

    /** A float pointer at a raw address, without allocating or owning memory. */
    private static final class At extends FloatPointer {
        At(long address) {
            this.address = address;
        }
    }
}
