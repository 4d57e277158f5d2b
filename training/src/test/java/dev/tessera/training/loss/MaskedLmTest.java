package dev.tessera.training.loss;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class MaskedLmTest {
    private static final int V = 100;
    private static final int PAD = 0;
    private static final int CLS = 1;
    private static final int MASK = 2;

    @Test
    void selectsAbout15PercentWith801010AndNeverSpecials() {
        int b = 64;
        int t = 128;
        int[] ids = new int[b * t];
        Rng data = new Rng(3);
        for (int i = 0; i < ids.length; i++) {
            int pos = i % t;
            ids[i] = pos == 0 ? CLS : pos >= t - 10 ? PAD : 3 + data.nextInt(V - 3);
        }
        INDArray in = Nd4j.createFromArray(ids).reshape(b, t);
        MaskedLm.Masked m = MaskedLm.mask(in, MaskingConfig.bert(V, MASK, PAD, CLS), -100, new Rng(11));
        int[] out = dev.tessera.training.Flat.ints(m.inputs());
        int[] labels = dev.tessera.training.Flat.ints(m.labels());
        long eligible = 0;
        long masked = 0;
        long random = 0;
        long kept = 0;
        long selected = 0;
        for (int i = 0; i < ids.length; i++) {
            boolean special = ids[i] == PAD || ids[i] == CLS;
            if (!special) {
                eligible++;
            }
            if (labels[i] == -100) {
                assertEquals(ids[i], out[i], "unselected positions are unchanged");
                continue;
            }
            selected++;
            assertTrue(!special, "special token selected at " + i);
            assertEquals(ids[i], labels[i]);
            if (out[i] == MASK) {
                masked++;
            } else if (out[i] == ids[i]) {
                kept++;
            } else {
                random++;
                assertTrue(out[i] != PAD && out[i] != CLS && out[i] != MASK, "random replacement is a special id");
            }
        }
        assertEquals(selected, m.selected());
        double frac = (double) selected / eligible;
        assertTrue(Math.abs(frac - 0.15) < 0.01, "selected fraction " + frac);
        assertTrue(Math.abs((double) masked / selected - 0.8) < 0.03, "mask fraction " + masked / (double) selected);
        // a random draw equals the original 1/97 of the time, so "kept" is ~10% + 0.1%
        assertTrue(Math.abs((double) random / selected - 0.1) < 0.02, "random fraction");
        assertTrue(Math.abs((double) kept / selected - 0.1) < 0.02, "kept fraction");
    }

    @Test
    void lossOnlyOnSelectedPositions() {
        INDArray ids = Nd4j.createFromArray(new int[][] {{1, 5, 6, 7, 8, 9, 10, 0}});
        MaskedLm.Masked m = MaskedLm.mask(ids, new MaskingConfig(V, MASK, new int[] {PAD, CLS, MASK}, 0.5, 1, 0), -100,
                new Rng(5));
        Tensor logits = Tensor.variable(new Rng(1).normal(DataType.DOUBLE, 0, 1, 1, 8, V));
        LossResult r = CrossEntropy.loss(logits, m.labels(), CrossEntropyOptions.defaults());
        r.loss().backward();
        assertEquals(m.selected(), r.validTokens());
        assertTrue(m.selected() > 0);
        int[] labels = dev.tessera.training.Flat.ints(m.labels());
        for (int p = 0; p < 8; p++) {
            double g = Math.abs(logits.grad().get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                    org.nd4j.linalg.indexing.NDArrayIndex.point(p), org.nd4j.linalg.indexing.NDArrayIndex.all())
                    .sumNumber().doubleValue()) + logits.grad().getDouble(0, p, 3) * logits.grad().getDouble(0, p, 3);
            if (labels[p] == -100) {
                assertEquals(0.0, g, "no gradient at unselected position " + p);
            } else {
                assertNotEquals(0.0, logits.grad().getDouble(0, p, labels[p]));
            }
        }
    }
}
