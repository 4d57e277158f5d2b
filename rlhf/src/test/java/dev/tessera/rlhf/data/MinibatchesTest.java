package dev.tessera.rlhf.data;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
import java.util.stream.Collectors;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class MinibatchesTest {
    /** Fisher–Yates on a list, drawing the same numbers from the generator in the same order. */
    private static int[] referenceOrder(int n, Rng rng) {
        List<Integer> order = IntStream.range(0, n).boxed().collect(Collectors.toList());
        for (int i = n - 1; i > 0; i--) {
            Collections.swap(order, i, rng.nextInt(i + 1));
        }
        return order.stream().mapToInt(Integer::intValue).toArray();
    }

    @Test
    void cutsTheShuffledOrderIntoEqualMinibatches() {
        int[][] mbs = Minibatches.shuffled(12, 4, new Rng(7));
        int[] expected = referenceOrder(12, new Rng(7));
        assertEquals(3, mbs.length);
        for (int i = 0; i < mbs.length; i++) {
            assertArrayEquals(Arrays.copyOfRange(expected, 4 * i, 4 * i + 4), mbs[i]);
        }
        int[] all = Arrays.stream(mbs).flatMapToInt(Arrays::stream).sorted().toArray();
        for (int i = 0; i < 12; i++) {
            assertEquals(i, all[i], "every row exactly once");
        }
        assertTrue(!Arrays.equals(expected, referenceOrder(12, new Rng(8))), "another seed, another order");
    }

    @Test
    void leavesTheRemainderOut() {
        int[][] mbs = Minibatches.shuffled(10, 4, new Rng(3));
        int[] expected = referenceOrder(10, new Rng(3));
        assertEquals(2, mbs.length);
        assertArrayEquals(Arrays.copyOfRange(expected, 4, 8), mbs[1]);
        assertEquals(0, Minibatches.shuffled(3, 4, new Rng(3)).length);
    }

    @Test
    void rejectsBadArguments() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Minibatches.shuffled(4, 0, new Rng(1)));
        assertTrue(e.getMessage().contains("size must be >= 1 but was 0"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Minibatches.shuffled(-1, 2, new Rng(1)));
        assertTrue(e.getMessage().contains("n must be >= 0 but was -1"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Minibatches.shuffled(4, 2, null));
    }

    @Test
    void gathersAndScattersRows() {
        INDArray a = Nd4j.arange(12).castTo(DataType.DOUBLE).reshape(4, 3); // (4, 3)
        int[] rows = {3, 1};
        INDArray picked = Minibatches.rows(a, rows); // (2, 3)
        assertArrayEquals(new double[] {9, 10, 11}, picked.getRow(0).toDoubleVector());
        assertArrayEquals(new double[] {3, 4, 5}, picked.getRow(1).toDoubleVector());
        assertEquals('c', picked.ordering());

        INDArray target = Nd4j.zeros(DataType.DOUBLE, 4, 3);
        Minibatches.putRows(target, rows, picked);
        assertArrayEquals(new double[] {9, 10, 11}, target.getRow(3).toDoubleVector());
        assertArrayEquals(new double[] {3, 4, 5}, target.getRow(1).toDoubleVector());
        assertArrayEquals(new double[] {0, 0, 0}, target.getRow(0).toDoubleVector());

        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Minibatches.putRows(target, new int[] {0, 1, 2}, picked));
        assertTrue(e.getMessage().contains("rows.length = 3 rows but has 2"), e.getMessage());
    }
}
