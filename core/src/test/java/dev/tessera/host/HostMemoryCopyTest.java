package dev.tessera.host;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;

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
}
