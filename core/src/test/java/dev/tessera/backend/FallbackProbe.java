package dev.tessera.backend;

import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Run in a child JVM by {@link BackendFallbackTest}: initialises the backend and multiplies two
 * matrices, printing what it found. Not a test itself.
 */
public final class FallbackProbe {

    private FallbackProbe() {}

    public static void main(String[] args) {
        Backend.init();
        INDArray a = Nd4j.create(new float[] {1, 2, 3, 4, 5, 6}, new long[] {2, 3}, 'c');
        INDArray b = Nd4j.create(new float[] {7, 8, 9, 10, 11, 12}, new long[] {3, 2}, 'c');
        INDArray c = Gemm.matmul(a, b, false, false);
        System.out.println("direct=" + Backend.hasDirectMkl());
        System.out.println("vendor=" + Backend.blasVendor());
        System.out.println("level=" + Backend.binaryLevel());
        System.out.println("product=" + java.util.Arrays.toString(c.data().asFloat()));
    }
}
