package dev.tessera.core;

import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.shape.Shape;

/**
 * Dense row-major layout checks. Kernels that walk an array's buffer need C order with default
 * strides and no offset; ND4J's {@code isView()} alone does not say that (a permuted array is
 * not flagged as a view), so the strides are checked too.
 */
public final class Contiguous {
    private Contiguous() {}

    /** Whether {@code x}'s buffer holds exactly its elements in row-major order from offset 0. */
    public static boolean isDense(INDArray x) {
        return x.ordering() == 'c' && x.offset() == 0 && !x.isView()
                && Shape.hasDefaultStridesForShape(x) && x.data().length() == x.length();
    }

    /** {@code x} itself when dense, else a dense row-major copy. */
    public static INDArray of(INDArray x) {
        return isDense(x) ? x : x.dup('c');
    }
}
