package dev.tessera.core;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** The matrix-multiply entry points used by the ops; they pick the direct BLAS path when available. */
final class Kernels {
    private Kernels() {}

    /** op(a) · op(b) for 2-D arrays; a new C-order (M, N) array. */
    static INDArray gemm(INDArray a, INDArray b, boolean transA, boolean transB) {
        return Nd4j.matmul(plain(a), plain(b), null, transA, transB, false);
    }

    /** ND4J's matmul gives wrong results on some strided views with transpose flags: hand it C-order arrays. */
    private static INDArray plain(INDArray x) {
        return Contiguous.of(x);
    }

    /** op(a) · op(b) for 3-D arrays (Bt, M, K) · (Bt, K, N); a new C-order (Bt, M, N) array. */
    static INDArray batchedGemm(INDArray a, INDArray b, boolean transA, boolean transB) {
        return Nd4j.matmul(plain(a), plain(b), null, transA, transB, false);
    }
}
