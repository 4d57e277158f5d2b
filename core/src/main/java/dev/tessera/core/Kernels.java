package dev.tessera.core;

import org.nd4j.linalg.api.ndarray.INDArray;
import dev.tessera.backend.Gemm;

/** The matrix-multiply entry points used by the ops: {@link Gemm} calls MKL directly where it can, ND4J otherwise. */
final class Kernels {
    private Kernels() {}

    /** op(a) · op(b) for 2-D arrays; a new C-order (M, N) array. */
    static INDArray gemm(INDArray a, INDArray b, boolean transA, boolean transB) {
        return Gemm.matmul(a, b, transA, transB);
    }

    /** x (N, C) summed over its rows, (C): a linear layer's bias gradient. */
    static INDArray sumRows(INDArray x) {
        return Gemm.sumRows(x);
    }

    /** op(a) · op(b) for 3-D arrays (Bt, M, K) · (Bt, K, N); a new C-order (Bt, M, N) array. */
    static INDArray batchedGemm(INDArray a, INDArray b, boolean transA, boolean transB) {
        return Gemm.batchedMatmul(a, b, transA, transB);
    }
}
