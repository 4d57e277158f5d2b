package dev.tessera.training.loss;

import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Row reads and writes on a dense (N, V) float32 or float64 array's own off-heap buffer, so
 * the fused losses do not copy the whole logits matrix (GUIDE §2: a full copy costs about
 * 1.45 ns/element, as much as the loss itself).
 */
final class RowAccess {
    private final FloatBuffer floats;
    private final DoubleBuffer doubles;
    private final int width;

    /** {@code dense} must be C-ordered with offset 0 (see {@code HostMemory.dense}). */
    RowAccess(INDArray dense, int width) {
        this.width = width;
        if (dense.dataType() == DataType.FLOAT) {
            floats = dense.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer();
            doubles = null;
        } else if (dense.dataType() == DataType.DOUBLE) {
            doubles = dense.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer();
            floats = null;
        } else {
            throw new IllegalArgumentException("expected a FLOAT or DOUBLE array but got " + dense.dataType());
        }
    }

    /** Copies row {@code r} into {@code out} (length ≥ width), widening floats to double. */
    void read(long r, double[] out, float[] scratch) {
        int base = Math.toIntExact(r * width);
        if (floats != null) {
            floats.get(base, scratch, 0, width);
            for (int v = 0; v < width; v++) {
                out[v] = scratch[v];
            }
        } else {
            doubles.get(base, out, 0, width);
        }
    }

    /** Writes {@code in} (length ≥ width) to row {@code r}, narrowing to float when the array is float32. */
    void write(long r, double[] in, float[] scratch) {
        int base = Math.toIntExact(r * width);
        if (floats != null) {
            for (int v = 0; v < width; v++) {
                scratch[v] = (float) in[v];
            }
            floats.put(base, scratch, 0, width);
        } else {
            doubles.put(base, in, 0, width);
        }
    }
}
