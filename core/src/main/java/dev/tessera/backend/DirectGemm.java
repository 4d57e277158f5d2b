package dev.tessera.backend;

import dev.tessera.host.HostMemory;
import java.lang.ref.Reference;
import java.util.Arrays;
import org.bytedeco.javacpp.DoublePointer;
import org.bytedeco.javacpp.FloatPointer;
import org.bytedeco.javacpp.Pointer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * {@link Gemm}'s direct path: maps each operand onto CBLAS's (address, leading dimension,
 * transpose) description and calls {@link MklBlas}, or {@link OneDnnBlas} for single float32
 * products where {@link GemmChoice} picked oneDNN. Only reached when MKL is loaded on ND4J's CPU
 * backend, where an array's buffer is host memory at {@code data().addressPointer()} (which
 * already includes the view's offset).
 */
final class DirectGemm {

    private DirectGemm() {}

    /**
     * One operand as CBLAS sees it: row-major storage at {@code address} (element [0,0] of batch 0)
     * with leading dimension {@code ld}; {@code transposed} when the stored row-major matrix is the
     * transpose of the logical one (a column-major view); {@code rows} the stored row count;
     * {@code batchStride} in elements (0 for 2-D).
     */
    record Mat(long address, long ld, boolean transposed, long rows, long batchStride) {
        /** Batches are disjoint, each at a constant stride: what cblas_?gemm_batch_strided expects. */
        boolean regularBatches(long batch) {
            return batch <= 1 || batchStride >= ld * rows;
        }
    }

    /**
     * Describes the last two axes (r, c) with strides (s0, s1) as a strided row-major matrix, or as
     * the transpose of one; null when the layout is neither (then the caller copies). Axes of size 1
     * have no meaningful stride and are ignored, as ND4J gives them arbitrary strides.
     */
    static Mat describe(INDArray x) {
        int rank = x.rank();
        long r = x.size(rank - 2);
        long c = x.size(rank - 1);
        long s0 = x.stride(rank - 2);
        long s1 = x.stride(rank - 1);
        long bs = rank == 3 ? (x.size(0) == 1 ? 0 : x.stride(0)) : 0;
        if (bs < 0) {
            return null;
        }
        long address = x.data().addressPointer().address();
        if (c <= 1 || s1 == 1) {
            long ld = r <= 1 ? Math.max(1, c) : s0;
            if (ld >= Math.max(1, c)) {
                return new Mat(address, ld, false, r, bs);
            }
        }
        if (r <= 1 || s0 == 1) {
            long ld = c <= 1 ? Math.max(1, r) : s1;
            if (ld >= Math.max(1, r)) {
                return new Mat(address, ld, true, c, bs);
            }
        }
        return null;
    }

    /**
     * c = alpha op(a) op(b) + beta c through MKL.
     *
     * @return false where MKL's 32-bit integers cannot describe the problem (the caller then
     *     uses the portable path)
     */
    static boolean tryCompute(INDArray a, INDArray b, boolean ta, boolean tb, INDArray c,
            double alpha, double beta, long batch, long m, long n, long k) {
        if (!fitsInt(batch, m, n, k)) {
            return false;
        }
        // An operand CBLAS cannot describe is copied densely (from the pool where it is on) and
        // released once the product is formed.
        INDArray ax = a;
        Mat ma = describe(ax);
        if (ma == null) {
            ax = HostMemory.copy(a);
            ma = describe(ax);
        }
        INDArray bx = b;
        Mat mb = describe(bx);
        if (mb == null) {
            bx = HostMemory.copy(b);
            mb = describe(bx);
        }
        try {
            return compute(ax, ma, bx, mb, ta, tb, c, alpha, beta, batch, m, n, k);
        } finally {
            if (ax != a) {
                HostMemory.release(ax);
            }
            if (bx != b) {
                HostMemory.release(bx);
            }
        }
    }

    private static boolean compute(INDArray a, Mat ma, INDArray b, Mat mb, boolean ta, boolean tb, INDArray c,
            double alpha, double beta, long batch, long m, long n, long k) {
        Mat mc = describe(c);
        boolean cUsable = mc != null && mc.regularBatches(batch) && !overlaps(c, a) && !overlaps(c, b);
        if (!cUsable) {
            // An output with an irregular layout, or one that aliases an input: BLAS forbids both, so
            // form the product in a fresh array and combine.
            INDArray p = c.rank() == 2
                    ? HostMemory.newUninitialized(c.dataType(), m, n)       // (M, N)
                    : HostMemory.newUninitialized(c.dataType(), batch, m, n); // (Bt, M, N)
            Mat mp = describe(p);
            if (!fitsInt(ma.ld, mb.ld, mp.ld)) {
                return false;
            }
            call(c.dataType(), ta, tb, (int) batch, (int) m, (int) n, (int) k, 1.0, ma, mb, 0.0, mp);
            Reference.reachabilityFence(a);
            Reference.reachabilityFence(b);
            Gemm.combine(p, c, alpha, beta);
            HostMemory.release(p); // scratch: its warm block serves the next product of this size
            return true;
        }
        if (!fitsInt(ma.ld, mb.ld, mc.ld)) {
            return false;
        }
        call(c.dataType(), ta, tb, (int) batch, (int) m, (int) n, (int) k, alpha, ma, mb, beta, mc);
        // The buffers must outlive the native call: without the fences the JIT may treat the arrays
        // as dead once their addresses are read, and ND4J's deallocator could free them mid-call.
        Reference.reachabilityFence(a);
        Reference.reachabilityFence(b);
        Reference.reachabilityFence(c);
        return true;
    }

    private static void call(DataType type, boolean ta, boolean tb, int batch, int m, int n, int k,
            double alpha, Mat a, Mat b, double beta, Mat c) {
        // Op flags relative to the stored row-major matrices.
        boolean opA = ta ^ a.transposed();
        boolean opB = tb ^ b.transposed();
        if (c.transposed()) {
            // C is stored column-major: compute C^T (N, M) = op(B)^T op(A)^T into its row-major storage.
            gemm(type, !opB, !opA, batch, n, m, k, alpha, b, a, beta, c);
        } else {
            gemm(type, opA, opB, batch, m, n, k, alpha, a, b, beta, c);
        }
    }

    private static void gemm(DataType type, boolean ta, boolean tb, int batch, int m, int n, int k,
            double alpha, Mat a, Mat b, double beta, Mat c) {
        boolean f32 = type == DataType.FLOAT;
        int lda = (int) a.ld();
        int ldb = (int) b.ld();
        int ldc = (int) c.ld();
        if (batch == 1) {
            if (f32 && Backend.usesOneDnnSgemm()) {
                OneDnnBlas.sgemm(ta, tb, m, n, k, (float) alpha, a.address(), lda, b.address(), ldb, (float) beta, c.address(), ldc);
            } else if (f32) {
                MklBlas.sgemm(ta, tb, m, n, k, (float) alpha, a.address(), lda, b.address(), ldb, (float) beta, c.address(), ldc);
            } else {
                MklBlas.dgemm(ta, tb, m, n, k, alpha, a.address(), lda, b.address(), ldb, beta, c.address(), ldc);
            }
            return;
        }
        // MKL only asks the output batches to be disjoint (stridec >= ldc * rows, ensured by the
        // caller); input batches may interleave, as they do for the heads of a permuted
        // (B, T, H, D) -> (B*H, T, D) view, so those still take the single batched call.
        boolean strided = fitsInt(a.batchStride(), b.batchStride(), c.batchStride());
        if (strided) {
            if (f32) {
                MklBlas.sgemmBatchStrided(ta, tb, m, n, k, (float) alpha, a.address(), lda, a.batchStride(),
                        b.address(), ldb, b.batchStride(), (float) beta, c.address(), ldc, c.batchStride(), batch);
            } else {
                MklBlas.dgemmBatchStrided(ta, tb, m, n, k, alpha, a.address(), lda, a.batchStride(),
                        b.address(), ldb, b.batchStride(), beta, c.address(), ldc, c.batchStride(), batch);
            }
            return;
        }
        // Batch strides beyond MKL's 32-bit MKL_INT: one call per batch, addresses in 64 bits.
        long size = f32 ? Float.BYTES : Double.BYTES;
        for (int i = 0; i < batch; i++) {
            long pa = a.address() + i * a.batchStride() * size;
            long pb = b.address() + i * b.batchStride() * size;
            long pc = c.address() + i * c.batchStride() * size;
            if (f32) {
                MklBlas.sgemm(ta, tb, m, n, k, (float) alpha, pa, lda, pb, ldb, (float) beta, pc, ldc);
            } else {
                MklBlas.dgemm(ta, tb, m, n, k, alpha, pa, lda, pb, ldb, beta, pc, ldc);
            }
        }
    }

    /**
     * {@code x.sum(0)} for an (n, c) row-major strided x as {@code x^T 1} through {@code ?gemv};
     * null where x is not such a view or its sizes do not fit MKL's 32-bit integers.
     */
    static INDArray trySumRows(INDArray x, long n, long c) {
        Mat mx = describe(x);
        if (mx == null || mx.transposed() || !fitsInt(n, c, mx.ld())) {
            return null;
        }
        boolean f32 = x.dataType() == DataType.FLOAT;
        Pointer ones = Ones.atLeast(n, f32);
        INDArray y = HostMemory.newUninitialized(x.dataType(), c); // (C), pooled float32 where the pool is on
        long py = y.data().addressPointer().address();
        if (f32) {
            MklBlas.sgemvTrans((int) n, (int) c, 1f, mx.address(), (int) mx.ld(), ones.address(), 0f, py);
        } else {
            MklBlas.dgemvTrans((int) n, (int) c, 1.0, mx.address(), (int) mx.ld(), ones.address(), 0.0, py);
        }
        Reference.reachabilityFence(x);
        Reference.reachabilityFence(y);
        Reference.reachabilityFence(ones);
        return y;
    }

    /**
     * Per-thread vectors of ones for {@link #trySumRows}, grown to the longest length asked for.
     * Held in JavaCPP memory rather than an ND4J array so that they never come from a step's
     * reused memory ({@link StepWorkspace}) and stay valid across steps.
     */
    private static final class Ones {
        private static final ThreadLocal<FloatPointer> FLOATS = new ThreadLocal<>();
        private static final ThreadLocal<DoublePointer> DOUBLES = new ThreadLocal<>();

        private Ones() {}

        static Pointer atLeast(long n, boolean f32) {
            if (f32) {
                FloatPointer p = FLOATS.get();
                if (p == null || p.capacity() < n) {
                    float[] ones = new float[Math.toIntExact(Math.max(n, 1024))];
                    Arrays.fill(ones, 1f);
                    p = new FloatPointer(ones);
                    FLOATS.set(p);
                }
                return p;
            }
            DoublePointer p = DOUBLES.get();
            if (p == null || p.capacity() < n) {
                double[] ones = new double[Math.toIntExact(Math.max(n, 1024))];
                Arrays.fill(ones, 1.0);
                p = new DoublePointer(ones);
                DOUBLES.set(p);
            }
            return p;
        }
    }

    /** Whether the memory spans of two arrays intersect (conservative: the span from first to last element). */
    static boolean overlaps(INDArray x, INDArray y) {
        long xs = x.data().addressPointer().address();
        long ys = y.data().addressPointer().address();
        long xe = xs + span(x) * x.data().getElementSize();
        long ye = ys + span(y) * y.data().getElementSize();
        return xs < ye && ys < xe;
    }

    /** Elements from the first to one past the last element of a non-empty array. */
    private static long span(INDArray x) {
        long last = 0;
        for (int i = 0; i < x.rank(); i++) {
            last += (x.size(i) - 1) * Math.abs(x.stride(i));
        }
        return last + 1;
    }

    private static boolean fitsInt(long... values) {
        for (long v : values) {
            if (v > Integer.MAX_VALUE || v < 0) {
                return false;
            }
        }
        return true;
    }
}
