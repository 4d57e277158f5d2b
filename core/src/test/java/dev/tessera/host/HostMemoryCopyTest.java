package dev.tessera.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * {@link HostMemory#copy} with the pool on: dense float32 arrays go through the chunked parallel
 * memcpy, every element lands where it belongs (sizes around the 1 MB chunk and the thread split),
 * the source is untouched, and views still copy through ND4J.
 */
class HostMemoryCopyTest {
    private boolean pooled;

    @BeforeEach
    void setUp() {
        pooled = HostMemory.setPooling(true);
    }

    @AfterEach
    void tearDown() {
        HostMemory.setPooling(pooled);
    }

    @Test
    void denseCopiesAreExactAtEverySplit() {
        int chunk = 1 << 18;
        for (int n : new int[] {1, 7, chunk - 1, chunk, chunk + 1, 2 * chunk + 3, 5 * chunk + 17}) {
            float[] values = new float[n];
            for (int i = 0; i < n; i++) {
                values[i] = i * 0.5f - 3f; // every element distinct: a misplaced chunk cannot pass
            }
            INDArray src = Nd4j.create(values, new long[] {n}, 'c');
            INDArray copy = HostMemory.copy(src);
            assertNotSame(src.data(), copy.data(), "n = " + n);
            assertArrayEquals(values, copy.toFloatVector(), "n = " + n);
            copy.putScalar(0, 1e9f);
            assertEquals(values[0], src.getFloat(0), "the copy shares no memory with its source, n = " + n);
            HostMemory.release(copy);
        }
    }

    @Test
    void viewsAndOtherDtypesStillCopy() {
        INDArray m = Nd4j.arange(0, 24).castTo(DataType.FLOAT).reshape('c', 4, 6);
        INDArray cols = m.get(NDArrayIndex.all(), NDArrayIndex.interval(1, 4)); // strided view
        INDArray copy = HostMemory.copy(cols);
        assertArrayEquals(cols.toFloatMatrix(), copy.toFloatMatrix());
        INDArray t = m.transpose();
        assertArrayEquals(t.toFloatMatrix(), HostMemory.copy(t).toFloatMatrix());
        INDArray d = Nd4j.arange(0, 10).castTo(DataType.DOUBLE);
        assertArrayEquals(d.toDoubleVector(), HostMemory.copy(d).toDoubleVector());
    }

    @Test
    void toFloatArrayIntoFillsThePrefixAndRefusesAShortArray() {
        INDArray x = Nd4j.create(new float[] {1f, -2f, 3.5f}, new long[] {3}, 'c');
        float[] into = {9f, 9f, 9f, 9f, 9f};
        float[] out = HostMemory.toFloatArray(x, into);
        org.junit.jupiter.api.Assertions.assertSame(into, out, "returns the array it was given");
        assertArrayEquals(new float[] {1f, -2f, 3.5f, 9f, 9f}, into, "the first three set, the rest left");
        INDArray d = Nd4j.create(new double[] {0.25, 7}, new long[] {2}, 'c');
        assertArrayEquals(new float[] {0.25f, 7f, 3.5f}, HostMemory.toFloatArray(d, new float[] {0f, 0f, 3.5f}), "float64 converted");
        INDArray view = Nd4j.create(new float[] {1, 2, 3, 4, 5, 6}, new long[] {2, 3}, 'c').get(NDArrayIndex.all(), NDArrayIndex.point(1));
        assertArrayEquals(new float[] {2f, 5f}, HostMemory.toFloatArray(view, new float[2]), "a strided view, densely");
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> HostMemory.toFloatArray(x, new float[2]));
        assertTrue(e.getMessage().contains("at least 3") && e.getMessage().contains("got 2"), e.getMessage());
    }
}
