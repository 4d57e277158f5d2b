package dev.tessera.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.GradMode;
import dev.tessera.core.Tensor;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/** The in-place decode kernel against {@link NaiveAttention} over the same keys and values. */
class CachedAttentionTest {

    /**
     * Three calls (a padded 4-token prefill, then 1 and 2 tokens) on a GQA cache (H 4, Hkv 2),
     * batch 2 with a left-padded sequence; every real query's output equals the naive attention of
     * that query over all keys so far with the causal offset and key padding.
     */
    @Test
    void matchesNaiveAttentionAcrossCallsWithPaddingAndGqa() {
        for (DataType dtype : new DataType[] {DataType.DOUBLE, DataType.FLOAT}) {
            for (int window : new int[] {0, 3}) {
                check(dtype, window, dtype == DataType.DOUBLE ? 1e-12 : 2e-5);
            }
        }
    }

    private static void check(DataType dtype, int window, double tol) {
        int b = 2;
        int h = 4;
        int hkv = 2;
        int hs = 8;
        KvCache cache = new KvCache(1, b, hkv, hs, 8, dtype);
        Random rnd = new Random(11 + window);
        int[] chunks = {4, 1, 2};
        INDArray kAll = Nd4j.zeros(DataType.DOUBLE, b, hkv, 0, hs); // (B, Hkv, used, hs)
        INDArray vAll = kAll;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (int call = 0; call < chunks.length; call++) {
                int t = chunks[call];
                // call 0: sequence 0 is left-padded by two slots; later calls are all real
                INDArray mask = call == 0 ? Nd4j.createFromArray(new float[][] {{0, 0, 1, 1}, {1, 1, 1, 1}}) : null;
                double[] q = random(rnd, b * t * h * hs); // (B, t, H·hs)
                double[] k = random(rnd, b * t * hkv * hs); // (B, t, Hkv·hs)
                double[] v = random(rnd, b * t * hkv * hs);
                KvCache.Step step = cache.begin(mask, t);
                INDArray got = CachedAttention.forward(cache, 0, new CachedAttention.Rows(q, h * hs, 0),
                        new CachedAttention.Rows(k, hkv * hs, 0), new CachedAttention.Rows(v, hkv * hs, 0), h,
                        1 / Math.sqrt(hs), window); // (B, t, H·hs)
                assertEquals(dtype, got.dataType());
                kAll = Nd4j.concat(2, kAll, heads(k, b, t, hkv, hs));
                vAll = Nd4j.concat(2, vAll, heads(v, b, t, hkv, hs));
                AttentionOptions o = AttentionOptions.causalMask().withCausal(true, step.offset()).withWindow(window)
                        .withKeyPadding(step.keyPadding());
                Tensor want = NaiveAttention.attention(Tensor.constant(heads(q, b, t, h, hs)), Tensor.constant(kAll),
                        Tensor.constant(vAll), o, 0); // (B, H, t, hs)
                INDArray wantRows = want.data().permute(0, 2, 1, 3).dup('c').reshape('c', b, t, (long) h * hs);
                for (int bb = 0; bb < b; bb++) {
                    for (int i = 0; i < t; i++) {
                        INDArray g = got.get(NDArrayIndex.point(bb), NDArrayIndex.point(i), NDArrayIndex.all())
                                .castTo(DataType.DOUBLE);
                        if (call == 0 && bb == 0 && i < 2) {
                            // padding queries with no real key at or before them: zeros, not NaN
                            assertEquals(0.0, g.norm1Number().doubleValue(), 0.0, "padding query " + i);
                            continue;
                        }
                        INDArray w = wantRows.get(NDArrayIndex.point(bb), NDArrayIndex.point(i), NDArrayIndex.all());
                        double err = g.sub(w).amaxNumber().doubleValue();
                        assertTrue(err <= tol, dtype + " window " + window + " call " + call + " seq " + bb + " query " + i
                                + ": max error " + err + " > " + tol);
                    }
                }
                cache.commit(mask);
            }
        }
        assertEquals(7, cache.used());
        assertEquals(5, cache.lengths()[0]);
        assertEquals(7, cache.lengths()[1]);
    }

    @Test
    void rejectsCallsOutsideTheProtocolAndBadHeadCounts() {
        KvCache cache = new KvCache(2, 1, 2, 4, 4, DataType.FLOAT);
        CachedAttention.Rows r = new CachedAttention.Rows(new double[16], 8, 0);
        IllegalStateException outside = assertThrows(IllegalStateException.class,
                () -> CachedAttention.forward(cache, 0, r, r, r, 2, 0.5, 0));
        assertTrue(outside.getMessage().contains("begin()"), outside.getMessage());
        cache.begin(null, 1);
        IllegalArgumentException layer = assertThrows(IllegalArgumentException.class,
                () -> CachedAttention.forward(cache, 2, r, r, r, 2, 0.5, 0));
        assertTrue(layer.getMessage().contains("layer"), layer.getMessage());
        IllegalArgumentException heads = assertThrows(IllegalArgumentException.class,
                () -> CachedAttention.forward(cache, 0, r, r, r, 3, 0.5, 0));
        assertTrue(heads.getMessage().contains("nHead"), heads.getMessage());
    }

    private static double[] random(Random rnd, int n) {
        double[] x = new double[n];
        for (int i = 0; i < n; i++) {
            x[i] = rnd.nextGaussian();
        }
        return x;
    }

    /** Rows (B, t, heads·hs) → (B, heads, t, hs) float64. */
    private static INDArray heads(double[] rows, int b, int t, int heads, int hs) {
        return Nd4j.create(rows, new long[] {b, t, heads, hs}, DataType.DOUBLE).permute(0, 2, 1, 3).dup('c');
    }
}
