package dev.tessera.training.distributed;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import dev.tessera.nn.Parameter;
import dev.tessera.training.Flat;
import java.io.IOException;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/** The gradient exchange without Spark: the identity collective and a two-replica collective simulated in-process. */
class GradientExchangeTest {
    @Test
    void withTheSingleProcessCollectiveTrainingIsBitIdenticalToNoExchange(@TempDir Path dir) throws IOException {
        for (DataType dtype : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            TinyRun spec = new TinyRun(TinyRun.writeTokens(dir, 3000).toString(), null, dtype, 3, 4, 2, 0.05, 0, -1, -1, 0);
            TinyRun.Result plain = spec.train(null, null, 0);
            TinyRun.Result exchanged = spec.train(Collective.single(), null, 0);
            assertArrayEquals(plain.params(), exchanged.params(), dtype.toString());
            // a float32 model's buffer carries the loss as float32: the reported loss is rounded to it
            for (int i = 0; i < plain.losses().length; i++) {
                double expected = dtype == DataType.FLOAT ? (float) plain.losses()[i] : plain.losses()[i];
                assertEquals(expected, exchanged.losses()[i], 0.0, dtype + " loss of step " + (i + 1));
            }
        }
    }

    @Test
    void sumsGradientsAndTheLossAndKeepsMissingGradientsMissing() {
        Parameter a = new Parameter(Nd4j.createFromArray(new double[] {1, 2, 3}));
        Parameter b = new Parameter(Nd4j.createFromArray(new double[][] {{1, 1}, {1, 1}}));
        Parameter none = new Parameter(Nd4j.createFromArray(new double[] {0}));
        a.accumulateGrad(Nd4j.createFromArray(new double[] {0.5, -1, 2}));
        b.accumulateGrad(Nd4j.createFromArray(new double[][] {{1, 2}, {3, 4}}));
        Map<String, Parameter> params = new LinkedHashMap<>();
        params.put("a", a);
        params.put("b", b);
        params.put("none", none);
        // a second replica whose values are this one's times 10: the sum is 11 times this one's
        GradientExchange ex = new GradientExchange(new Scaled(11), params);
        assertEquals(8 + 3 + 1, ex.bufferLength()); // 8 elements, 3 has-a-gradient flags, the loss
        assertEquals(8L * 12, ex.payloadBytes());
        assertEquals(22, ex.sumCount(2));
        assertEquals(0.25 * 11, ex.sumGradients(0.25), 1e-12);
        assertArrayEquals(new double[] {5.5, -11, 22}, Flat.doubles(a.grad()), 1e-12);
        assertArrayEquals(new double[] {11, 22, 33, 44}, Flat.doubles(b.grad()), 1e-12);
        assertNull(none.grad(), "no replica had a gradient for it");
        assertEquals(1, ex.exchanges());
    }

    @Test
    void rejectsAnIntegerParameter() {
        Map<String, Parameter> params = Map.of("ids", new Parameter(Nd4j.createFromArray(new int[] {1})));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new GradientExchange(Collective.single(), params));
        assertEquals("parameter 'ids' must be FLOAT or DOUBLE but is INT", e.getMessage());
    }

    /** Rank 0 of 2 where every replica's values are a multiple of rank 0's: the sum is {@code factor} × x. */
    private record Scaled(double factor) implements Collective {
        @Override
        public int rank() {
            return 0;
        }

        @Override
        public int worldSize() {
            return 2;
        }

        @Override
        public void allReduceSum(double[] x) {
            for (int i = 0; i < x.length; i++) {
                x[i] *= factor;
            }
        }

        @Override
        public void allReduceSum(float[] x) {
            for (int i = 0; i < x.length; i++) {
                x[i] *= (float) factor;
            }
        }
    }
}
