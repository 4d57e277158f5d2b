package dev.tessera.attention;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.host.Simd;
import dev.tessera.testing.GradCheck;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class ScaledDotProductAttentionTest {

    /** Option sets covering every mask kind, for (B=2, H=4, Hkv, Tq, Tk). */
    static Map<String, AttentionOptions> cases(int b, int tk) {
        Map<String, AttentionOptions> c = new LinkedHashMap<>();
        INDArray pad = Nd4j.ones(DataType.BOOL, b, tk);
        pad.putScalar(new long[] {0, 0}, 0); // left padding in batch 0
        pad.putScalar(new long[] {b - 1, tk - 1}, 0); // right padding in the last batch row
        c.put("none", AttentionOptions.none());
        c.put("causal", AttentionOptions.causalMask());
        c.put("causal+padding", AttentionOptions.causalMask().withKeyPadding(pad));
        c.put("lengths", AttentionOptions.none().withKeyLengths(tk - 1, 2));
        c.put("window", AttentionOptions.causalMask().withWindow(2));
        c.put("window-bidirectional", AttentionOptions.none().withWindow(2));
        c.put("alibi", AttentionOptions.causalMask().withAlibi(Alibi.slopes(4)));
        c.put("scale", AttentionOptions.causalMask().withScale(0.7));
        return c;
    }

    private static Tensor var(Rng rng, long... shape) {
        return GradCheck.randomVariable(rng, shape);
    }

    @Test
    void everyPathMatchesTheNaiveCompositionWithEveryMask() {
        for (int hkv : new int[] {4, 2, 1}) {
            for (Map.Entry<String, AttentionOptions> e : cases(2, 5).entrySet()) {
                Rng rng = new Rng(11);
                Tensor q = var(rng, 2, 4, 5, 3);
                Tensor k = var(rng, 2, hkv, 5, 3);
                Tensor v = var(rng, 2, hkv, 5, 3);
                compareAll(e.getKey() + " hkv=" + hkv, q, k, v, e.getValue(), true);
            }
        }
    }

    @Test
    void causalBlockSkippingInTheFusedGemmsMatches() {
        int saved = FusedAttention.causalBlock;
        FusedAttention.causalBlock = 2; // blocks of 2 query rows over T = 7: ragged last block
        try {
            Rng rng = new Rng(14);
            Tensor q = var(rng, 2, 3, 7, 3);
            Tensor k = var(rng, 2, 3, 9, 3);
            Tensor v = var(rng, 2, 3, 9, 2);
            compareAll("blocked causal+offset", q, k, v, AttentionOptions.causalMask().withCausal(true, 2), false);
            compareAll("blocked lengths", q, k, v, AttentionOptions.none().withKeyLengths(4, 6), false);
            compareAll("blocked dropout", q, k, v, AttentionOptions.causalMask().withCausal(true, 2)
                    .withDropout(0.2, new Rng(8)), false);
        } finally {
            FusedAttention.causalBlock = saved;
        }
    }

    @Test
    void decodingOffsetWithFewerQueriesThanKeys() {
        Rng rng = new Rng(12);
        Tensor q = var(rng, 2, 4, 2, 3);
        Tensor k = var(rng, 2, 2, 6, 3);
        Tensor v = var(rng, 2, 2, 6, 4); // Dv != D
        compareAll("offset", q, k, v, AttentionOptions.causalMask().withCausal(true, 4), true);
        compareAll("offset+window+lengths", q, k, v,
                AttentionOptions.causalMask().withCausal(true, 4).withWindow(3).withKeyLengths(6, 5), true);
    }

    @Test
    void biasAndDropoutAgreeAcrossPaths() {
        Rng rng = new Rng(13);
        Tensor q = var(rng, 2, 4, 5, 3);
        Tensor k = var(rng, 2, 4, 5, 3);
        Tensor v = var(rng, 2, 4, 5, 3);
        Tensor bias = var(rng, 1, 4, 5, 5);
        compareAll("bias", q, k, v, AttentionOptions.causalMask().withBias(bias), false);
        Tensor bias2 = var(rng, 2, 4, 5, 5);
        compareAll("bias per batch", q, k, v, AttentionOptions.none().withBias(bias2), false);
        compareAll("dropout", q, k, v, AttentionOptions.causalMask().withDropout(0.3, new Rng(5)), true);
    }

    /** Float tolerance of the float32 kernels against the float64 reference on O(1) values. */
    private static final double FLOAT_TOL = 5e-5;

    /**
     * Forward and every gradient against the naive float64 composition: the portable path in
     * float64 at 1e-10, the fused (and tiled) float32 kernels on float32 copies of the inputs at
     * float tolerance (float64 fused/tiled requests run the portable path).
     */
    private static void compareAll(String name, Tensor q, Tensor k, Tensor v, AttentionOptions o, boolean tiled) {
        compareAll(name, q, k, v, o, tiled, 2);
    }

    private static void compareAll(String name, Tensor q, Tensor k, Tensor v, AttentionOptions o, boolean tiled,
            int tile) {
        INDArray up = new Rng(99).normal(DataType.DOUBLE, 0, 1, q.size(0), q.size(1), q.size(2), v.size(3));
        long seed = o.rng() == null ? 0 : copy(o.rng()).nextLong();
        Tensor[] leaves = o.bias() == null ? new Tensor[] {q, k, v} : new Tensor[] {q, k, v, o.bias()};
        INDArray[] ref = run(leaves, up, () -> NaiveAttention.attention(q, k, v, o, seed));
        Tensor[] f32 = new Tensor[leaves.length];
        for (int i = 0; i < leaves.length; i++) {
            f32[i] = Tensor.variable(leaves[i].data().castTo(DataType.FLOAT));
        }
        INDArray upF = up.castTo(DataType.FLOAT);
        for (AttentionImpl impl : AttentionImpl.values()) {
            if (impl == AttentionImpl.TILED && !tiled) {
                continue;
            }
            boolean f = impl != AttentionImpl.PORTABLE;
            Tensor[] in = f ? f32 : leaves;
            AttentionOptions oi = o.rng() == null ? o : o.withDropout(o.dropout(), copy(o.rng()));
            if (o.bias() != null) {
                oi = oi.withBias(in[3]);
            }
            AttentionOptions oj = oi;
            INDArray[] got = run(in, f ? upF : up, () -> impl == AttentionImpl.TILED
                    ? TiledAttention.forward(in[0], in[1], in[2], oj, tile) // tiny tiles: many, skipped, ragged
                    : ScaledDotProductAttention.attention(in[0], in[1], in[2], oj, impl));
            assertEquals(f ? DataType.FLOAT : DataType.DOUBLE, got[0].dataType(), name + " " + impl + " dtype");
            for (int i = 0; i < ref.length; i++) {
                assertClose(name + " " + impl + (i == 0 ? " output" : " grad " + (i - 1)), ref[i], got[i],
                        f ? FLOAT_TOL : 1e-10);
            }
        }
    }

    @Test
    void float32KernelsMatchTheFloat64ReferenceOnOddSizesAndBothBatchSizes() {
        for (boolean scalar : new boolean[] {false, true}) { // Vector API row primitives (where present), scalar
            Simd.setForceScalar(scalar);
            try {
                oddSizes();
            } finally {
                Simd.setForceScalar(false);
            }
        }
        assertTrue(FusedAttention.causalBlock <= 64, "T = 133 must exercise the fused op's causal blocks");
    }

    private static void oddSizes() {
        // T not a multiple of a vector length or tile; T = 133 is long enough for the fused op's causal
        // blocks (64 rows by default, ragged last block) and spans three tiles of 64 in the tiled op
        for (int batch : new int[] {1, 3}) {
            Rng rng = new Rng(17 + batch);
            Tensor q = var(rng, batch, 2, 133, 5);
            Tensor k = var(rng, batch, 2, 133, 5);
            Tensor v = var(rng, batch, 2, 133, 7);
            INDArray pad = Nd4j.ones(DataType.BOOL, batch, 133);
            pad.putScalar(new long[] {batch - 1, 3}, 0);
            compareAll("odd causal B=" + batch, q, k, v, AttentionOptions.causalMask(), true, 64);
            compareAll("odd causal+padding+alibi B=" + batch, q, k, v,
                    AttentionOptions.causalMask().withKeyPadding(pad).withAlibi(Alibi.slopes(2)), true, 64);
            compareAll("odd dropout B=" + batch, q, k, v,
                    AttentionOptions.causalMask().withDropout(0.1, new Rng(4)), true, 64);
        }
    }

    private static Rng copy(Rng r) {
        Rng c = new Rng(1);
        c.setState(r.state());
        return c;
    }

    private static INDArray[] run(Tensor[] leaves, INDArray up, java.util.function.Supplier<Tensor> f) {
        for (Tensor t : leaves) {
            t.zeroGrad();
        }
        Tensor y = f.get();
        y.backward(up);
        INDArray[] out = new INDArray[leaves.length + 1];
        out[0] = y.data().dup();
        for (int i = 0; i < leaves.length; i++) {
            out[i + 1] = leaves[i].grad() == null ? Nd4j.zeros(leaves[i].dtype(), leaves[i].shape()) : leaves[i].grad().dup();
        }
        return out;
    }

    static void assertClose(String what, INDArray expected, INDArray actual, double tol) {
        assertEquals(java.util.Arrays.toString(expected.shape()), java.util.Arrays.toString(actual.shape()), what + " shape");
        double diff = expected.castTo(DataType.DOUBLE).sub(actual.castTo(DataType.DOUBLE)).amaxNumber().doubleValue();
        assertTrue(diff <= tol, what + ": max abs difference " + diff + " > " + tol);
    }

    /** Float64 runs the portable path whatever the requested implementation; the float32 kernels are compared above. */
    @Test
    void gradientChecksForEveryMaskKindOnTheFloat64Path() {
        for (Map.Entry<String, AttentionOptions> e : cases(2, 4).entrySet()) {
            Rng rng = new Rng(21);
            Tensor q = var(rng, 2, 4, 4, 2);
            Tensor k = var(rng, 2, 2, 4, 2); // GQA
            Tensor v = var(rng, 2, 2, 4, 2);
            AttentionOptions o = e.getValue();
            Function<Tensor[], Tensor> f = in -> ScaledDotProductAttention.attention(in[0], in[1], in[2], o,
                    AttentionImpl.PORTABLE);
            GradCheck.check(e.getKey(), f, q, k, v);
        }
    }

    @Test
    void gradientCheckOnViewsBiasAndDropout() {
        Rng rng = new Rng(22);
        // q as a transposed view (B, T, H, D) -> (B, H, T, D)
        Tensor qBase = var(rng, 1, 3, 2, 4);
        Tensor k = var(rng, 1, 2, 3, 4);
        Tensor v = var(rng, 1, 2, 3, 4);
        Tensor bias = var(rng, 1, 2, 3, 3);
        GradCheck.check("view+bias", in -> ScaledDotProductAttention.attention(in[0].transpose(1, 2), in[1], in[2],
                AttentionOptions.causalMask().withBias(in[3]), AttentionImpl.FUSED), qBase, k, v, bias);
        GradCheck.check("portable", in -> ScaledDotProductAttention.attention(in[0].transpose(1, 2), in[1], in[2],
                AttentionOptions.causalMask().withBias(in[3]), AttentionImpl.PORTABLE), qBase, k, v, bias);
        GradCheck.check("dropout", in -> ScaledDotProductAttention.attention(in[0].transpose(1, 2), in[1],
                in[2], AttentionOptions.causalMask().withDropout(0.25, new Rng(3)), AttentionImpl.PORTABLE), qBase, k, v);
    }

    @Test
    void fullyMaskedRowsAreZeroAndNaNInMaskedKeysDoesNotLeak() {
        for (DataType dt : new DataType[] {DataType.FLOAT, DataType.DOUBLE}) {
            for (AttentionImpl impl : AttentionImpl.values()) {
                fullyMaskedRowCase(dt, impl);
            }
        }
    }

    private static void fullyMaskedRowCase(DataType dt, AttentionImpl impl) {
        Rng rng = new Rng(31);
        Tensor q = Tensor.variable(rng.normal(dt, 0, 1, 2, 2, 3, 4));
        INDArray kd = rng.normal(dt, 0, 1, 2, 2, 3, 4);
        INDArray vd = rng.normal(dt, 0, 1, 2, 2, 3, 4);
        // batch 0: key 0 is padding and holds NaN / Inf; query 0 (causal) then has no key at all
        kd.putScalar(new long[] {0, 1, 0, 2}, Double.NaN);
        vd.putScalar(new long[] {0, 0, 0, 1}, Double.POSITIVE_INFINITY);
        Tensor k = Tensor.variable(kd);
        Tensor v = Tensor.variable(vd);
        INDArray pad = Nd4j.ones(DataType.BOOL, 2, 3);
        pad.putScalar(new long[] {0, 0}, 0);
        Tensor y = ScaledDotProductAttention.attention(q, k, v, AttentionOptions.causalMask().withKeyPadding(pad), impl);
        y.backward(Nd4j.ones(dt, y.shape()));
        assertTrue(!AttentionShapes.hasNonFinite(y.data()), dt + " " + impl + ": output must be finite");
        assertTrue(!AttentionShapes.hasNonFinite(q.grad()) && !AttentionShapes.hasNonFinite(k.grad())
                && !AttentionShapes.hasNonFinite(v.grad()), dt + " " + impl + ": gradients must be finite");
        assertEquals(0.0, y.data().get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                org.nd4j.linalg.indexing.NDArrayIndex.all()).amaxNumber().doubleValue(), 0.0, dt + " " + impl + ": empty row");
        assertEquals(0.0, k.grad().get(org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                org.nd4j.linalg.indexing.NDArrayIndex.all(), org.nd4j.linalg.indexing.NDArrayIndex.point(0),
                org.nd4j.linalg.indexing.NDArrayIndex.all()).amaxNumber().doubleValue(), 0.0, dt + " " + impl + ": masked key grad");
    }

    @Test
    void tiledMatchesFusedInFloat32AcrossManyTiles() {
        Rng rng = new Rng(41);
        Tensor q = Tensor.variable(rng.normal(DataType.FLOAT, 0, 1, 2, 4, 300, 16));
        Tensor k = Tensor.variable(rng.normal(DataType.FLOAT, 0, 1, 2, 2, 300, 16));
        Tensor v = Tensor.variable(rng.normal(DataType.FLOAT, 0, 1, 2, 2, 300, 16));
        INDArray up = rng.normal(DataType.FLOAT, 0, 1, 2, 4, 300, 16);
        for (boolean scalar : new boolean[] {false, true}) { // the tiles' vector row primitives, and scalar
            Simd.setForceScalar(scalar);
            try {
                for (AttentionOptions o : new AttentionOptions[] {AttentionOptions.causalMask(),
                        AttentionOptions.none().withKeyLengths(300, 170), AttentionOptions.causalMask().withWindow(100),
                        AttentionOptions.none().withWindow(70)}) {
                    INDArray[] fused = run(new Tensor[] {q, k, v}, up, () -> ScaledDotProductAttention.attention(q, k, v,
                            o, AttentionImpl.FUSED));
                    INDArray[] tiled = run(new Tensor[] {q, k, v}, up, () -> TiledAttention.forward(q, k, v, o, 64));
                    assertClose("tiled output scalar=" + scalar, fused[0], tiled[0], 1e-5);
                    for (int i = 1; i < 4; i++) {
                        assertClose("tiled grad " + i + " scalar=" + scalar, fused[i], tiled[i], 1e-4);
                    }
                }
            } finally {
                Simd.setForceScalar(false);
            }
        }
    }

    @Test
    void probabilitiesOnRequestOnly() {
        Rng rng = new Rng(51);
        Tensor q = var(rng, 1, 2, 3, 4);
        Tensor k = var(rng, 1, 2, 3, 4);
        Tensor v = var(rng, 1, 2, 3, 4);
        AttentionResult r = ScaledDotProductAttention.attentionWithProbabilities(Tensor.constant(q.data().castTo(
                DataType.FLOAT)), Tensor.constant(k.data().castTo(DataType.FLOAT)),
                Tensor.constant(v.data().castTo(DataType.FLOAT)), AttentionOptions.causalMask(), AttentionImpl.FUSED);
        assertClose("row sums", Nd4j.ones(DataType.DOUBLE, 1, 2, 3), r.probabilities().sum(3), 1e-6);
        assertEquals(0.0, r.probabilities().getDouble(0, 0, 0, 1), 0.0);
        AttentionResult p = ScaledDotProductAttention.attentionWithProbabilities(q, k, v, AttentionOptions.causalMask(),
                AttentionImpl.PORTABLE);
        assertClose("portable probabilities", p.probabilities(), r.probabilities(), 1e-6);
        assertThrows(IllegalArgumentException.class, () -> ScaledDotProductAttention.attentionWithProbabilities(q, k, v,
                AttentionOptions.causalMask(), AttentionImpl.TILED));
    }

    @Test
    void badInputIsRejectedWithTheArgumentNamed() {
        Rng rng = new Rng(61);
        Tensor q = var(rng, 1, 3, 2, 4);
        Tensor k = var(rng, 1, 2, 2, 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ScaledDotProductAttention.attention(q, k, k, AttentionOptions.none()));
        assertTrue(e.getMessage().contains("multiple"), e.getMessage());
        Tensor q2 = var(rng, 1, 2, 2, 4);
        Tensor k2 = var(rng, 1, 2, 2, 5);
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ScaledDotProductAttention.attention(q2, k2, k2, AttentionOptions.none())).getMessage().contains("head size"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ScaledDotProductAttention.attention(q2, q2, q2, AttentionOptions.none().withKeyLengths(1, 2)))
                .getMessage().contains("keyLengths"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> AttentionOptions.none().withWindow(-1))
                .getMessage().contains("window"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> ScaledDotProductAttention.attention(q2, q2, q2, AttentionOptions.none().withKeyPadding(
                        Nd4j.ones(DataType.BOOL, 1, 3)))).getMessage().contains("keyPadding"));
        assertNull(ScaledDotProductAttention.attentionWithProbabilities(q2, q2, q2, AttentionOptions.none(),
                AttentionImpl.FUSED).output().grad());
    }
}
