package dev.tessera.training.loss;

import dev.tessera.host.HostMemory;
import dev.tessera.host.Parallel;
import dev.tessera.host.Scratch;
import dev.tessera.host.Simd;
import dev.tessera.host.SimdOps;
import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The float32 cross-entropy kernel of {@link CrossEntropy} on ND4J's CPU backend: one pass per row
 * over the logits' own memory (max and arg-max, then exp, sum and the probabilities written into
 * the gradient buffer), and a backward that scales those probabilities in place. Rows are
 * independent and run in parallel; {@link PortableCrossEntropy} computes the same values with ND4J
 * ops and is what this kernel is tested against.
 *
 * <p>Performance notes: each row is moved between native memory and a per-thread {@link Scratch}
 * array with one bulk buffer read or write (a memcpy), so no whole-tensor copy is made and nothing
 * is allocated per row; the max, exp-and-sum and scale run as {@link SimdOps} row primitives
 * (Vector API where the JVM has it), rows split across {@link Parallel}'s threads. The exp sum is
 * float32 over vector lanes (tested against float64 at V = 1001 and against the portable path).
 */
final class FusedCrossEntropy {
    private FusedCrossEntropy() {}

    /**
     * Per-row loss, NLL, log-sum-exp and arg-max match, and (when {@code keepProbs}) the softmax
     * probabilities in a new (N, V) float32 array.
     *
     * @param z N·V dense float32 logits (any shape whose row-major order is (N, V)), C order, offset 0
     */
    static CrossEntropy.Rows forward(INDArray z, int v, int[] targets, CrossEntropyOptions options, boolean keepProbs) {
        int n = targets.length;
        INDArray probs = keepProbs ? HostMemory.newFloats(n, v) : null; // (N, V)
        CrossEntropy.Rows rows = new CrossEntropy.Rows(n, probs);
        FloatBuffer in = HostMemory.floats(z);
        FloatBuffer out = keepProbs ? HostMemory.floats(probs) : null;
        int ignore = options.ignoreIndex();
        double eps = options.labelSmoothing();
        double zl = options.zLoss();
        SimdOps ops = Simd.ops();
        Parallel.forRows(n, 4L * v, (chunk, start, end) -> {
            float[] row = Scratch.floats(0, v);
            for (int i = start; i < end; i++) {
                int t = targets[i];
                int base = i * v;
                if (t == ignore) {
                    if (out != null) {
                        Arrays.fill(row, 0, v, 0f);
                        out.put(base, row, 0, v);
                    }
                    continue;
                }
                in.get(base, row, 0, v);
                float m = ops.max(row, 0, v);
                int argmax = 0; // the first maximum, as torch.argmax
                while (argmax < v - 1 && !(row[argmax] == m)) {
                    argmax++;
                }
                rows.correct[i] = argmax == t;
                if (m == Float.NEGATIVE_INFINITY) {
                    rows.lse[i] = Double.NEGATIVE_INFINITY;
                    rows.loss[i] = Double.POSITIVE_INFINITY;
                    rows.nll[i] = Double.POSITIVE_INFINITY;
                    if (out != null) {
                        Arrays.fill(row, 0, v, 0f);
                        out.put(base, row, 0, v);
                    }
                    continue;
                }
                double zy = row[t];
                double shiftSum = 0; // Σ (z − m) in float64 (z − m may overflow float), for label smoothing
                if (eps > 0) {
                    for (int k = 0; k < v; k++) {
                        shiftSum += (double) row[k] - m;
                    }
                }
                // z − m ≤ 0 in float: an overflow to −∞ only where exp underflows to 0 anyway;
                // the row now holds the unnormalised probabilities
                double s = ops.expShift(row, 0, v, m, row, 0);
                double logS = Math.log(s);
                double nll = (m - zy) + logS;
                double lse = m + logS;
                rows.lse[i] = lse;
                rows.nll[i] = nll;
                double loss = (1 - eps) * nll;
                if (eps > 0) {
                    // Σ_v (lse − z_v) = V·log s − Σ_v (z_v − m); +inf when some z_v = −inf (PyTorch gives +inf too)
                    loss += eps / v * (v * logS - shiftSum);
                }
                if (zl > 0) {
                    loss += zl * lse * lse;
                }
                rows.loss[i] = loss;
                if (out != null) {
                    ops.scale(row, 0, v, (float) (1 / s));
                    out.put(base, row, 0, v);
                }
            }
        });
        Reference.reachabilityFence(z); // the buffers above do not keep their arrays alive
        Reference.reachabilityFence(probs);
        return rows;
    }

    /**
     * dL/dz_v = scale · (p_v·(1 + 2λ_z·lse) − (1 − ε)·[v = y] − ε/V) on valid rows, 0 on ignored
     * rows; turns the saved probabilities into the gradient in place and returns them.
     */
    static INDArray backward(CrossEntropy.Rows rows, int[] targets, CrossEntropyOptions options, double scale) {
        INDArray probs = rows.probs;
        int n = targets.length;
        int v = Math.toIntExact(probs.size(1));
        FloatBuffer io = HostMemory.floats(probs);
        int ignore = options.ignoreIndex();
        double eps = options.labelSmoothing();
        double zl = options.zLoss();
        SimdOps ops = Simd.ops();
        Parallel.forRows(n, 2L * v, (chunk, start, end) -> {
            float[] row = Scratch.floats(0, v);
            for (int i = start; i < end; i++) {
                int t = targets[i];
                if (t == ignore || rows.lse[i] == Double.NEGATIVE_INFINITY) {
                    continue; // already zero
                }
                int base = i * v;
                io.get(base, row, 0, v);
                float pScale = (float) (scale * (1 + 2 * zl * rows.lse[i]));
                float uniform = (float) (scale * eps / v);
                ops.scale(row, 0, v, pScale);
                if (uniform != 0) {
                    for (int k = 0; k < v; k++) {
                        row[k] -= uniform;
                    }
                }
                row[t] -= (float) (scale * (1 - eps));
                io.put(base, row, 0, v);
            }
        });
        return probs;
    }
}
