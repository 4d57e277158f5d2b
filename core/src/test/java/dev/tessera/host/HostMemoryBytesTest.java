package dev.tessera.host;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** {@link HostMemory#bytes}: a native-order view of exactly the range asked for, and clear refusals. */
class HostMemoryBytesTest {

    @Test
    void aViewStartsAtItsFirstFloatAndCoversItsRangeOnly() {
        INDArray x = Nd4j.arange(10).castTo(DataType.FLOAT); // 0, 1, …, 9
        ByteBuffer v = HostMemory.bytes(x, 3, 4); // floats 3..6
        assertEquals(ByteOrder.nativeOrder(), v.order());
        assertEquals(16, v.capacity());
        assertEquals(3f, v.getFloat(0));
        assertEquals(6f, v.getFloat(12));
        assertThrows(IndexOutOfBoundsException.class, () -> v.getFloat(16));
        v.putFloat(4, -1f); // writes through to float 4 of x
        assertEquals(-1f, x.getFloat(4));
        assertEquals(0, HostMemory.bytes(x, 0, 0).capacity());
        assertEquals(0, HostMemory.bytes(x, 10, 0).capacity());
    }

    @Test
    void badRangesAndDtypesAreRefusedWithTheirValues() {
        INDArray x = Nd4j.zeros(DataType.FLOAT, 10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HostMemory.bytes(x, 8, 3));
        assertTrue(e.getMessage().contains("[8, 11)") && e.getMessage().contains("10 elements"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> HostMemory.bytes(x, -1, 2));
        assertThrows(IllegalArgumentException.class, () -> HostMemory.bytes(x, 0, -1));
        INDArray d = Nd4j.zeros(DataType.DOUBLE, 10);
        e = assertThrows(IllegalArgumentException.class, () -> HostMemory.bytes(d, 0, 2));
        assertTrue(e.getMessage().contains("FLOAT") && e.getMessage().contains("DOUBLE"), e.getMessage());
    }
}
