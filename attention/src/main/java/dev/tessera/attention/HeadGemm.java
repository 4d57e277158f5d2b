package dev.tessera.attention;

import dev.tessera.backend.Gemm;
import java.lang.ref.Reference;
import java.util.Locale;
import org.bytedeco.dnnl.global.dnnl;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.mkl.global.mkl_rt;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Float32 products of single attention heads, {@code C = alpha·op(A) op(B) + beta·C} on blocks of
 * {@link HeadMatrices}, read and written in place: one 2-D GEMM call per head (and query block).
 *
 * <p>Why per head and not one batched call: the operands of a multi-head layer are strided views
 * (q, k, v are column blocks of the fused (B, T, 3C) projection, the output goes straight into
 * (B, T, C)), and MKL's {@code cblas_sgemm_batch_strided} refuses an output whose batches
 * interleave ("Parameter 17 was incorrect"), so a batched call would need dense copies around it.
 * A 2-D GEMM takes any row stride. The calls go to oneDNN's {@code dnnl_sgemm} where it loads
 * (AVX-512 kernels on any vendor's CPU; MKL runs none on AMD), else to MKL's {@code cblas_sgemm};
 * {@code -Dtessera.gemm=mkl} forces MKL. Where MKL is not called directly (other BLAS, other
 * backends, {@code Gemm.setForcePortable}) each block goes through {@link Gemm#matmulInto} on ND4J
 * views, which is slower but computes the same.
 */
final class HeadGemm {
    private static final Logger LOG = LoggerFactory.getLogger(HeadGemm.class);
    private static final boolean ONEDNN_WORKS = oneDnnWorks();
    private static volatile boolean useOneDnn = ONEDNN_WORKS;

    private HeadGemm() {}

    /**
     * Sends the direct products to oneDNN (true, where it loads) or MKL (false); for tests that
     * check both libraries and for A/B measurements.
     *
     * @return whether oneDNN was in use before
     */
    static boolean setOneDnn(boolean on) {
        boolean before = useOneDnn;
        useOneDnn = on && ONEDNN_WORKS;
        return before;
    }

    /** Whether the direct products go to oneDNN. */
    static boolean usesOneDnn() {
        return useOneDnn;
    }

    private static boolean oneDnnWorks() {
        String p = System.getProperty("tessera.gemm", "auto").trim().toLowerCase(Locale.ROOT);
        if (!p.equals("auto") && !p.equals("onednn")) {
            return false;
        }
        try {
            // (2,3) x (3,2) with B given transposed: [[58, 64], [139, 154]]
            float[] a = {1, 2, 3, 4, 5, 6};
            float[] bt = {7, 9, 11, 8, 10, 12};
            float[] c = new float[4];
            int status = dnnl.dnnl_sgemm((byte) 'N', (byte) 'T', 2, 2, 3, 1f, a, 3, bt, 3, 0f, c, 2);
            boolean ok = status == dnnl.dnnl_success && c[0] == 58 && c[1] == 64 && c[2] == 139 && c[3] == 154;
            LOG.debug("attention head products on {}", ok ? "oneDNN" : "MKL (oneDNN self-test failed)");
            return ok;
        } catch (Throwable e) { // the natives are absent on this platform
            LOG.debug("attention head products on MKL: oneDNN unavailable ({})", e.toString());
            return false;
        }
    }

    /**
     * For batch row {@code b}: {@code C[hc][rc.., cc..] = alpha·op(A[ha][ra.., ca..]) op(B[hb][rb.., cb..])
     * + beta·C[hc][rc.., cc..]} with op(A) (m, k), op(B) (k, n), C's block (m, n); A's stored block is
     * (k, m) when {@code ta}, B's (n, k) when {@code tb}. {@code beta} is 0 (C is not read) or 1.
     */
    static void gemm(int b, boolean ta, boolean tb, int m, int n, int k, double alpha,
            HeadMatrices a, int ha, int ra, int ca,
            HeadMatrices bm, int hb, int rb, int cb,
            double beta, HeadMatrices c, int hc, int rc, int cc) {
        if (m == 0 || n == 0) {
            return;
        }
        if (k == 0) {
            if (beta == 0) {
                zero(c, b, hc, rc, rc + m, cc, cc + n);
            }
            return;
        }
        if (Gemm.usesDirectMkl()) {
            long pa = address(a, b, ha, ra, ca);
            long pb = address(bm, b, hb, rb, cb);
            long pc = address(c, b, hc, rc, cc);
            if (useOneDnn) {
                int status = dnnl.dnnl_sgemm(ta ? (byte) 'T' : (byte) 'N', tb ? (byte) 'T' : (byte) 'N', m, n, k,
                        (float) alpha, new At(pa), a.ld, new At(pb), bm.ld, (float) beta, new At(pc), c.ld);
                if (status != dnnl.dnnl_success) {
                    throw new IllegalStateException("dnnl_sgemm failed with status " + status + " for m=" + m
                            + ", n=" + n + ", k=" + k + ", lda=" + a.ld + ", ldb=" + bm.ld + ", ldc=" + c.ld);
                }
            } else {
                mkl_rt.cblas_sgemm(mkl_rt.CblasRowMajor, ta ? mkl_rt.CblasTrans : mkl_rt.CblasNoTrans,
                        tb ? mkl_rt.CblasTrans : mkl_rt.CblasNoTrans, m, n, k, (float) alpha, new At(pa), a.ld,
                        new At(pb), bm.ld, (float) beta, new At(pc), c.ld);
            }
            // the arrays must outlive the native call (their memory is freed when they are collected)
            Reference.reachabilityFence(a.array);
            Reference.reachabilityFence(bm.array);
            Reference.reachabilityFence(c.array);
            return;
        }
        INDArray va = ta ? a.view(b, ha, ra, ra + k, ca, ca + m) : a.view(b, ha, ra, ra + m, ca, ca + k);
        INDArray vb = tb ? bm.view(b, hb, rb, rb + n, cb, cb + k) : bm.view(b, hb, rb, rb + k, cb, cb + n);
        Gemm.matmulInto(va, vb, ta, tb, c.view(b, hc, rc, rc + m, cc, cc + n), alpha, beta);
    }

    /** Sets rows [r0, r1), columns [c0, c1) of head h of batch row b to 0. */
    static void zero(HeadMatrices x, int b, int h, int r0, int r1, int c0, int c1) {
        if (r1 <= r0 || c1 <= c0) {
            return;
        }
        if (!Gemm.usesDirectMkl()) {
            x.view(b, h, r0, r1, c0, c1).assign(0);
            return;
        }
        for (int r = r0; r < r1; r++) {
            Pointer.memset(new At(address(x, b, h, r, c0)), 0, (long) (c1 - c0) * Float.BYTES);
        }
        Reference.reachabilityFence(x.array);
    }

    private static long address(HeadMatrices x, int b, int h, int row, int col) {
        return x.address() + x.offset(b, h, row, col) * Float.BYTES;
    }

    /** A float pointer at a raw address, without allocating or owning memory. */
    private static final class At extends FloatPointer {
        At(long address) {
            this.address = address;
        }
    }
}
