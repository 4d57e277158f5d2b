package dev.tessera.training.optim;

import dev.tessera.host.HostMemory;
import dev.tessera.host.Parallel;
import dev.tessera.host.Scratch;
import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The element loop of the fused optimizer updates: a parameter's flat range is cut into chunks,
 * each chunk of every operand (parameter, gradient, state) is copied into a per-thread
 * {@code float[]} with one bulk buffer read (a memcpy), updated there, and written back the same
 * way; chunks are split across {@link Parallel}'s threads when the parameter is large. The
 * per-thread {@link Scratch} arrays are reused across steps, so an update allocates nothing per
 * element.
 *
 * <p>Performance note: an update is memory-bound (AdamW reads four floats and writes three per
 * element); chunks of 8192 floats keep the four working arrays (128 KiB) in L2, and the loop over
 * Java arrays lets C2 vectorise it, which per-element {@code FloatBuffer.get/put} prevents.
 */
final class HostChunks {
    /** Floats per chunk and per operand. */
    static final int CHUNK = 8192;

    private HostChunks() {}

    /** The update of one chunk: elements [start, start + len) of the flat parameter, operands in {@code a}. */
    interface ChunkTask {
        void run(int start, int len, float[][] a);
    }

    /**
     * Whether the fused float32 update may run on this parameter: the CPU backend with fused
     * kernels enabled, float32 parameter and gradient, and the parameter dense in its own buffer.
     */
    static boolean fusable(INDArray param, INDArray grad) {
        return HostMemory.available() && param.dataType() == DataType.FLOAT && grad.dataType() == DataType.FLOAT
                && HostMemory.isDense(param);
    }

    /** Runs {@code task} over [0, length) in chunks, split across {@link Parallel}'s threads when large. */
    static void run(int length, ChunkTask task) {
        int chunks = (length + CHUNK - 1) / CHUNK;
        Parallel.forRows(chunks, CHUNK, (part, from, to) -> {
            float[][] a = {Scratch.floats(0, CHUNK), Scratch.floats(1, CHUNK), Scratch.floats(2, CHUNK),
                Scratch.floats(3, CHUNK)};
            for (int c = from; c < to; c++) {
                int start = c * CHUNK;
                task.run(start, Math.min(CHUNK, length - start), a);
            }
        });
    }

    /**
     * Σ x² in float64 over any float32/float64 array: per-chunk sums (in parallel for large float32
     * arrays on the CPU backend) added in chunk order, so the result does not depend on the thread
     * count; ND4J ops elsewhere. NaN or Inf when some element is not finite.
     */
    static double sumOfSquares(INDArray x) {
        if (!(HostMemory.available() && x.dataType() == DataType.FLOAT)) {
            INDArray d = x.castTo(DataType.DOUBLE);
            return d.mul(d).sumNumber().doubleValue();
        }
        INDArray dense = HostMemory.dense(x);
        FloatBuffer b = HostMemory.floats(dense);
        int length = Math.toIntExact(dense.length());
        double[] partial = new double[(length + CHUNK - 1) / CHUNK];
        run(length, (start, len, a) -> {
            float[] xa = a[0];
            b.get(start, xa, 0, len);
            double s = 0;
            for (int i = 0; i < len; i++) {
                s += (double) xa[i] * xa[i];
            }
            partial[start / CHUNK] = s;
        });
        Reference.reachabilityFence(dense);
        double sum = 0;
        for (double s : partial) {
            sum += s;
        }
        return sum;
    }
}
