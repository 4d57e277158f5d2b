package dev.tessera.training;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/** Row-major Java copies of (small) arrays of any rank: ids, labels, masks. */
public final class Flat {
    private Flat() {}

    /** The elements in C order as ints (integer arrays) — e.g. a (B, T) id matrix as B·T ints. */
    public static int[] ints(INDArray a) {
        INDArray c = a.dataType() == DataType.INT ? a : a.castTo(DataType.INT);
        return c.dup('c').reshape(new long[] {a.length()}).toIntVector();
    }

    /** The elements in C order as doubles. */
    public static double[] doubles(INDArray a) {
        return a.castTo(DataType.DOUBLE).dup('c').reshape(new long[] {a.length()}).toDoubleVector();
    }
}
