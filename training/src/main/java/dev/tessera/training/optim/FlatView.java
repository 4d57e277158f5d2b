package dev.tessera.training.optim;

import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Element access on a dense float32/float64 array's own off-heap buffer. The optimizers update
 * every parameter with one fused Java loop (AdamW is ~10 flops per element; as a chain of ND4J
 * ops it would be ~8 ops × 13 µs dispatch per parameter plus 8 passes over memory).
 */
final class FlatView {
    private final FloatBuffer floats;
    private final DoubleBuffer doubles;
    final int length;

    FlatView(INDArray dense) {
        length = Math.toIntExact(dense.length());
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

    double get(int i) {
        return floats != null ? floats.get(i) : doubles.get(i);
    }

    void set(int i, double x) {
        if (floats != null) {
            floats.put(i, (float) x);
        } else {
            doubles.put(i, x);
        }
    }
}
