package dev.tessera.rlhf.math;

import static dev.tessera.rlhf.Golden.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.rlhf.Golden;
import dev.tessera.testing.GradCheck;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class MaskedTest {
    private static final double TOL = 1e-12;

    @Test
    void matchesPyTorch() {
        Tensor x = Golden.constant("x");
        Tensor mask = Golden.constant("mask");
        assertClose("masked_mean", Masked.mean(x, mask).data(), TOL);
        assertClose("masked_var", Masked.variance(x, mask).data(), TOL);
        assertClose("masked_mean_rows", Masked.mean(x, mask, 1).data(), TOL);
        assertClose("whiten_shift", Masked.whiten(x, mask, true).data(), 1e-10);
        assertClose("whiten_keep_mean", Masked.whiten(x, mask, false).data(), 1e-10);
    }

    @Test
    void handComputed() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 100}, 4);
        Tensor m = Tensor.of(new double[] {1, 1, 1, 0}, 4);
        assertEquals(6, Masked.sum(x, m).item(), 0);
        assertEquals(2, Masked.mean(x, m).item(), 0);
        assertEquals(1, Masked.variance(x, m).item(), 1e-15); // ((1-2)² + 0 + (3-2)²) / 2
        double[] w = Masked.whiten(x, m, true).data().toDoubleVector();
        assertEquals(-1 / Math.sqrt(1 + 1e-8), w[0], 1e-15);
        assertEquals(0, w[1], 0);
        assertEquals(1 / Math.sqrt(1 + 1e-8), w[2], 1e-15);
        assertEquals(0, w[3], 0); // padding stays 0
    }

    @Test
    void whitenWithNoValidToken() {
        Tensor x = Tensor.of(new double[] {3, -1, 7}, 3);
        Tensor m = Tensor.of(new double[] {0, 0, 0}, 3);
        assertEquals(0, Masked.mean(x, m).item(), 0);
        assertEquals(0, Masked.variance(x, m).item(), 0);
        for (boolean shift : new boolean[] {true, false}) {
            INDArray w = Masked.whiten(x, m, shift).data();
            assertEquals(0, w.amaxNumber().doubleValue(), 0, "all zeros, shiftMean=" + shift);
        }
    }

    @Test
    void whitenWithOneValidToken() {
        Tensor x = Tensor.of(new double[] {3, -1, 7}, 3);
        Tensor m = Tensor.of(new double[] {0, 1, 0}, 3);
        assertEquals(0, Masked.variance(x, m).item(), 0);
        assertArrayEqualsExact(new double[] {0, 0, 0}, Masked.whiten(x, m, true).data());
        assertArrayEqualsExact(new double[] {0, -1, 0}, Masked.whiten(x, m, false).data()); // the mean comes back
    }

    @Test
    void whitenWithTwoValidTokens() {
        Tensor x = Tensor.of(new double[] {3, -1, 7}, 3);
        Tensor m = Tensor.of(new double[] {1, 0, 1}, 3);
        double var = 8; // ((3-5)² + (7-5)²) / (2 - 1)
        assertEquals(var, Masked.variance(x, m).item(), 1e-12);
        double s = 2 / Math.sqrt(var + 1e-8);
        double[] w = Masked.whiten(x, m, true).data().toDoubleVector();
        assertEquals(-s, w[0], 1e-12);
        assertEquals(0, w[1], 0);
        assertEquals(s, w[2], 1e-12);
        double[] k = Masked.whiten(x, m, false).data().toDoubleVector();
        assertEquals(5 - s, k[0], 1e-12);
        assertEquals(5 + s, k[2], 1e-12);
    }

    @Test
    void nanInPaddingDoesNotLeak() {
        Tensor x = Tensor.of(new double[] {1, Double.NaN, 3, Double.POSITIVE_INFINITY}, 2, 2);
        Tensor m = Tensor.of(new double[] {1, 0, 1, 0}, 2, 2);
        assertEquals(2, Masked.mean(x, m).item(), 0);
        assertEquals(2, Masked.variance(x, m).item(), 1e-15);
        INDArray w = Masked.whiten(x, m, false).data();
        assertFalse(w.isNaN().any() || w.isInfinite().any(), "whiten leaked NaN/Inf: " + w);
        INDArray rows = Masked.mean(x, m, 1).data();
        assertEquals(1, rows.getDouble(0), 0);
        assertEquals(3, rows.getDouble(1), 0);
    }

    @Test
    void rowsWithoutValidTokensAverageToZero() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2);
        Tensor m = Tensor.of(new double[] {0, 0, 1, 1}, 2, 2);
        assertArrayEqualsExact(new double[] {0, 3.5}, Masked.mean(x, m, 1).data());
    }

    @Test
    void gradients() {
        Rng rng = new Rng(11);
        INDArray mask = Golden.get("mask");
        for (int batch : new int[] {1, 3}) {
            Tensor m = Tensor.constant(mask.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(0, batch)).dup('c'));
            Tensor x = GradCheck.randomVariable(rng, batch, 6);
            GradCheck.check("maskedMean", GradCheck.LOSS_TOLERANCE, in -> Masked.mean(in[0], m), x);
            GradCheck.check("maskedMeanRows", GradCheck.LOSS_TOLERANCE, in -> Masked.mean(in[0], m, 1), x);
            GradCheck.check("maskedVar", GradCheck.LOSS_TOLERANCE, in -> Masked.variance(in[0], m), x);
            GradCheck.check("whiten", GradCheck.LOSS_TOLERANCE, in -> Masked.whiten(in[0], m, true), x);
            GradCheck.check("whitenKeepMean", GradCheck.LOSS_TOLERANCE, in -> Masked.whiten(in[0], m, false), x);
        }
        // on a transposed view
        Tensor view = Tensor.variable(rng.normal(DataType.DOUBLE, 0, 1, 6, 3).transpose());
        Tensor m = Tensor.constant(mask);
        GradCheck.check("whitenView", GradCheck.LOSS_TOLERANCE, in -> Masked.whiten(in[0], m, true), view);
    }

    @Test
    void badMasksAreRejected() {
        Tensor x = Tensor.of(new double[] {1, 2, 3, 4}, 2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Masked.mean(x, Tensor.of(new double[] {1, 0}, 2, 1)));
        assertTrue(e.getMessage().contains("[2, 2]") && e.getMessage().contains("[2, 1]"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Masked.mean(x, Tensor.of(new double[] {1, 0, 0.5, 1}, 2, 2)));
        assertTrue(e.getMessage().contains("only 0 and 1"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> Masked.mean(x, Tensor.of(new float[] {1, 0, 1, 1}, 2, 2)));
        assertTrue(e.getMessage().contains("dtype"), e.getMessage());
    }

    static void assertArrayEqualsExact(double[] expected, INDArray actual) {
        double[] a = actual.castTo(DataType.DOUBLE).dup('c').data().asDouble();
        org.junit.jupiter.api.Assertions.assertArrayEquals(expected, a, 0);
    }
}
