package dev.tessera.training.loss;

import dev.tessera.host.HostMemory;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.BooleanIndexing;
import org.nd4j.linalg.indexing.conditions.Conditions;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * Cross-entropy of {@link CrossEntropy} built from ND4J ops only (row max, exp, sums, log, a
 * gather of the target logits), in the logits' own type: the path for float64 (what gradient
 * checks and the PyTorch goldens use), for backends whose buffers are not in host memory, and for
 * {@code tessera.kernels=portable}. Only per-row values (N of them) come to the host.
 */
final class PortableCrossEntropy {
    private PortableCrossEntropy() {}

    /**
     * Per-row loss, NLL, log-sum-exp and arg-max match, and (when {@code keepProbs}) the softmax
     * probabilities in a new (N, V) array.
     *
     * @param z (N, V) logits, float32 or float64
     */
    static CrossEntropy.Rows forward(INDArray z, int[] targets, CrossEntropyOptions options, boolean keepProbs) {
        int n = targets.length;
        long v = z.size(1);
        int ignore = options.ignoreIndex();
        double eps = options.labelSmoothing();
        double zl = options.zLoss();
        INDArray max = z.max(true, 1); // (N, 1)
        double[] m = HostMemory.toDoubleArray(max); // (N): −∞ for a row of −∞ logits
        BooleanIndexing.replaceWhere(max, 0.0, Conditions.isInfinite()); // such rows shift by 0: exp(−∞) = 0
        INDArray shifted = z.subColumnVector(max); // (N, V): z − m
        double[] shiftSum = eps > 0 ? HostMemory.toDoubleArray(shifted.sum(1)) : null; // (N)
        INDArray e = Transforms.exp(shifted, false); // (N, V)
        INDArray s = e.sum(true, 1); // (N, 1)
        double[] logS = HostMemory.toDoubleArray(Transforms.log(s, true)); // (N)
        double[] zy = gatherTargets(z, targets, ignore); // (N)
        long[] argmax = Nd4j.argMax(z, 1).castTo(DataType.LONG).data().asLong(); // (N)
        INDArray probs = null;
        if (keepProbs) {
            BooleanIndexing.replaceWhere(s, 1.0, Conditions.equals(0.0)); // rows of −∞: 0/1, never 0/0
            probs = e.diviColumnVector(s);
        }
        CrossEntropy.Rows rows = new CrossEntropy.Rows(n, probs);
        for (int i = 0; i < n; i++) {
            if (targets[i] == ignore) {
                continue;
            }
            rows.correct[i] = argmax[i] == targets[i];
            if (m[i] == Double.NEGATIVE_INFINITY) {
                rows.lse[i] = Double.NEGATIVE_INFINITY;
                rows.loss[i] = Double.POSITIVE_INFINITY;
                rows.nll[i] = Double.POSITIVE_INFINITY;
                continue;
            }
            double nll = (m[i] - zy[i]) + logS[i];
            double lse = m[i] + logS[i];
            rows.nll[i] = nll;
            rows.lse[i] = lse;
            double loss = (1 - eps) * nll;
            if (eps > 0) {
                loss += eps / v * (v * logS[i] - shiftSum[i]); // Σ_v (lse − z_v) = V·log s − Σ_v (z_v − m)
            }
            if (zl > 0) {
                loss += zl * lse * lse;
            }
            rows.loss[i] = loss;
        }
        return rows;
    }

    /**
     * dL/dz_v = scale · (p_v·(1 + 2λ_z·lse) − (1 − ε)·[v = y] − ε/V) on valid rows, 0 on ignored
     * rows and on rows of −∞ logits; turns the saved probabilities into the gradient in place.
     */
    static INDArray backward(CrossEntropy.Rows rows, int[] targets, CrossEntropyOptions options, double scale) {
        INDArray probs = rows.probs; // (N, V)
        int n = targets.length;
        long v = probs.size(1);
        int ignore = options.ignoreIndex();
        double eps = options.labelSmoothing();
        double zl = options.zLoss();
        double[] rowScale = new double[n]; // (N): scale·(1 + 2λ_z·lse) on live rows, 0 elsewhere
        double[] rowShift = new double[n]; // (N): scale·ε/V on live rows
        boolean[] live = new boolean[n]; // valid target and at least one finite logit
        for (int i = 0; i < n; i++) {
            live[i] = targets[i] != ignore && rows.lse[i] != Double.NEGATIVE_INFINITY;
            if (live[i]) {
                rowScale[i] = scale * (1 + 2 * zl * rows.lse[i]);
                rowShift[i] = scale * eps / v;
            }
        }
        DataType dt = probs.dataType();
        probs.muliColumnVector(Nd4j.createFromArray(rowScale).castTo(dt).reshape(n, 1));
        if (eps > 0) {
            probs.subiColumnVector(Nd4j.createFromArray(rowShift).castTo(dt).reshape(n, 1));
        }
        INDArray flat = probs.reshape('c', (long) n * v, 1); // (N·V, 1), a view of the gradient
        for (int i = 0; i < n; i++) {
            if (live[i]) {
                long at = i * v + targets[i];
                flat.putScalar(at, 0, flat.getDouble(at, 0) - scale * (1 - eps));
            }
        }
        return probs;
    }

    /** z[i, targets[i]] for every row (0 for ignored rows), gathered on the device. */
    private static double[] gatherTargets(INDArray z, int[] targets, int ignore) {
        long v = z.size(1);
        int[] at = new int[targets.length];
        for (int i = 0; i < targets.length; i++) {
            at[i] = Math.toIntExact(i * v + (targets[i] == ignore ? 0 : targets[i]));
        }
        INDArray flat = z.reshape('c', z.length(), 1); // (N·V, 1)
        double[] out = HostMemory.toDoubleArray(Nd4j.pullRows(flat, 1, at));
        for (int i = 0; i < targets.length; i++) {
            if (targets[i] == ignore) {
                out[i] = 0;
            }
        }
        return out;
    }
}
