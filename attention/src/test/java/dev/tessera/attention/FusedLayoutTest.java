package dev.tessera.attention;

import static dev.tessera.attention.ScaledDotProductAttentionTest.assertClose;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.backend.Gemm;
import dev.tessera.core.ShapeOps;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.host.HostMemory;
import dev.tessera.testing.GradCheck;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The fused op on the layouts a multi-head layer hands it, against the naive float64 composition:
 * q, k, v as strided (B, H, T, D) views of a fused (B, T, 3C) projection, and
 * {@link FusedAttention#attentionFused}, which reads that projection in place and writes (B, T, C).
 * Forward and the gradient of the projection, every mask kind, GQA, causal blocks with a ragged last
 * block, T = 1, the per-head products both direct and through the portable {@code Gemm}, and with
 * Tessera's pool on and the graph freed as it goes.
 */
class FusedLayoutTest {
    private static final double FLOAT_TOL = 5e-5;

    /** (q, k, v) as (B, H, T, hs) views of qkv (B, T, (H + 2Hkv)·hs), the way a layer cuts them. */
    private static Tensor[] split(Tensor qkv, int h, int hkv) {
        long b = qkv.size(0);
        long t = qkv.size(1);
        long hs = qkv.size(2) / (h + 2L * hkv);
        List<Tensor> p = ShapeOps.split(qkv, 2, h * hs, hkv * hs, hkv * hs);
        return new Tensor[] {p.get(0).reshape(b, t, h, hs).transpose(1, 2), p.get(1).reshape(b, t, hkv, hs).transpose(1, 2),
            p.get(2).reshape(b, t, hkv, hs).transpose(1, 2)};
    }

    /** The naive float64 attention over qkv, output (B, T, H·hs). */
    private static Tensor reference(Tensor qkv, int h, int hkv, AttentionOptions o, long seed) {
        Tensor[] qv = split(qkv, h, hkv);
        Tensor y = NaiveAttention.attention(qv[0], qv[1], qv[2], o, seed); // (B, H, T, hs)
        return y.transpose(1, 2).reshape(qkv.size(0), qkv.size(1), y.size(1) * y.size(3));
    }

    /** Output and qkv's gradient from {@code f} for upstream gradient {@code up}: {output, grad}. */
    private static INDArray[] run(Tensor qkv, INDArray up, java.util.function.Function<Tensor, Tensor> f) {
        qkv.zeroGrad();
        Tensor y = f.apply(qkv);
        INDArray out = y.data().dup();
        y.backward(up);
        return new INDArray[] {out, qkv.grad().dup()};
    }

    private static void check(String name, int b, int t, int h, int hkv, int hs, AttentionOptions o) {
        Rng rng = new Rng(7 + t + h);
        Tensor x64 = GradCheck.randomVariable(rng, b, t, (long) (h + 2 * hkv) * hs);
        INDArray up64 = new Rng(5).normal(DataType.DOUBLE, 0, 1, b, t, (long) h * hs);
        long seed = o.rng() == null ? 0 : copy(o.rng()).nextLong();
        INDArray[] ref = run(x64, up64, x -> reference(x, h, hkv, o, seed));
        Tensor x32 = Tensor.variable(x64.data().castTo(DataType.FLOAT));
        INDArray up32 = up64.castTo(DataType.FLOAT);
        INDArray[] fused = run(x32, up32, x -> FusedAttention.attentionFused(x, h, hkv, fresh(o)));
        assertClose(name + " fused output", ref[0], fused[0], FLOAT_TOL);
        assertClose(name + " fused d(qkv)", ref[1], fused[1], FLOAT_TOL);
        // the (B, H, T, hs) entry point on the strided views, no copies of q, k, v
        INDArray[] views = run(x32, up32, x -> {
            Tensor[] qv = split(x, h, hkv);
            Tensor y = ScaledDotProductAttention.attention(qv[0], qv[1], qv[2], fresh(o), AttentionImpl.FUSED);
            return y.transpose(1, 2).reshape(b, t, (long) h * hs);
        });
        assertClose(name + " views output", ref[0], views[0], FLOAT_TOL);
        assertClose(name + " views d(qkv)", ref[1], views[1], FLOAT_TOL);
    }

    private static AttentionOptions fresh(AttentionOptions o) {
        return o.rng() == null ? o : o.withDropout(o.dropout(), copy(o.rng()));
    }

    private static Rng copy(Rng r) {
        Rng c = new Rng(1);
        c.setState(r.state());
        return c;
    }

    private static void everyCase() {
        for (int hkv : new int[] {4, 2, 1}) { // MHA, GQA, MQA
            for (Map.Entry<String, AttentionOptions> e : ScaledDotProductAttentionTest.cases(2, 5).entrySet()) {
                check(e.getKey() + " hkv=" + hkv, 2, 5, 4, hkv, 3, e.getValue());
            }
        }
        check("dropout", 2, 5, 4, 2, 3, AttentionOptions.causalMask().withDropout(0.3, new Rng(5)));
        check("T=1", 3, 1, 4, 2, 3, AttentionOptions.causalMask());
        check("B=1 hs=1", 1, 4, 2, 1, 1, AttentionOptions.causalMask());
    }

    @Test
    void fusedProjectionAndStridedViewsMatchTheNaiveCompositionWithEveryMask() {
        everyCase();
    }

    @Test
    void causalBlocksWithARaggedLastBlockMatch() {
        int saved = FusedAttention.causalBlock;
        FusedAttention.causalBlock = 2; // blocks of 2 query rows over T = 7
        try {
            check("blocked causal MHA", 2, 7, 3, 3, 2, AttentionOptions.causalMask());
            check("blocked causal GQA", 2, 7, 4, 2, 2, AttentionOptions.causalMask());
            check("blocked causal+padding", 2, 7, 2, 1, 2, AttentionOptions.causalMask()
                    .withKeyPadding(Nd4j.ones(DataType.BOOL, 2, 7).putScalar(new long[] {1, 3}, 0)));
            check("blocked lengths+dropout", 2, 7, 2, 2, 2, AttentionOptions.none().withKeyLengths(4, 6)
                    .withDropout(0.2, new Rng(8)));
        } finally {
            FusedAttention.causalBlock = saved;
        }
    }

    @Test
    void portableProductsComputeTheSame() {
        boolean direct = Gemm.usesDirectMkl();
        Gemm.setForcePortable(true); // HeadGemm multiplies ND4J views through Gemm.matmulInto
        try {
            assertFalse(Gemm.usesDirectMkl());
            int saved = FusedAttention.causalBlock;
            FusedAttention.causalBlock = 2;
            try {
                check("portable blocked GQA", 2, 7, 4, 2, 2, AttentionOptions.causalMask());
                check("portable padding", 2, 5, 4, 4, 3, ScaledDotProductAttentionTest.cases(2, 5).get("causal+padding"));
            } finally {
                FusedAttention.causalBlock = saved;
            }
        } finally {
            Gemm.setForcePortable(false);
        }
        assertEquals(direct, Gemm.usesDirectMkl());
    }

    @Test
    void mklAndOneDnnHeadProductsComputeTheSame() {
        for (boolean oneDnn : new boolean[] {false, true}) { // MKL's cblas_sgemm, then oneDNN where it loads
            boolean before = HeadGemm.setOneDnn(oneDnn);
            try {
                check("blocked GQA oneDnn=" + HeadGemm.usesOneDnn(), 2, 7, 4, 2, 2, AttentionOptions.causalMask());
                check("dropout oneDnn=" + HeadGemm.usesOneDnn(), 2, 5, 4, 4, 3,
                        AttentionOptions.causalMask().withDropout(0.3, new Rng(5)));
            } finally {
                HeadGemm.setOneDnn(before);
            }
        }
    }

    @Test
    void pooledAndFreedAsItGoesGivesTheSameAndLeavesNothingInUse() {
        Rng rng = new Rng(3);
        INDArray x = rng.normal(DataType.FLOAT, 0, 1, 2, 130, 3 * 2 * 8); // T = 130: three causal blocks
        INDArray up = rng.normal(DataType.FLOAT, 0, 1, 2, 130, 2 * 8);
        Tensor plain = Tensor.variable(x.dup());
        INDArray[] expected = run(plain, up, t -> FusedAttention.attentionFused(t, 2, 2, AttentionOptions.causalMask()));
        boolean before = HostMemory.setPooling(true);
        try {
            long inUse = HostMemory.pooledBytesInUse();
            for (int i = 0; i < 3; i++) {
                Tensor xv = Tensor.variable(x.dup());
                // a (B, T, W) view with unit column stride whose rows are not dense: the op reads it in place
                Tensor y = FusedAttention.attentionFused(xv.mul(1.0), 2, 2, AttentionOptions.causalMask())
                        .mul(1.0);
                INDArray out = y.data().dup();
                y.backwardAndFree(up);
                HostMemory.release(y.data());
                assertClose("pooled output", expected[0], out, 0);
                assertClose("pooled d(qkv)", expected[1], xv.grad(), 0);
                HostMemory.release(xv.grad());
            }
            assertEquals(inUse, HostMemory.pooledBytesInUse(), "the op's pooled arrays are all released");
        } finally {
            HostMemory.setPooling(before);
        }
    }

    @Test
    void badFusedShapesAreRejectedWithTheArgumentNamed() {
        Tensor x = Tensor.variable(Nd4j.rand(DataType.FLOAT, 1, 3, 10));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> FusedAttention.attentionFused(x, 2, 1, AttentionOptions.none())).getMessage().contains("(H + 2Hkv)"));
        assertTrue(assertThrows(IllegalArgumentException.class,
                () -> FusedAttention.attentionFused(x, 3, 2, AttentionOptions.none())).getMessage().contains("multiple"));
        assertTrue(assertThrows(IllegalArgumentException.class, () -> FusedAttention.attentionFused(
                Tensor.variable(Nd4j.rand(DataType.FLOAT, 3, 10)), 1, 1, AttentionOptions.none())).getMessage()
                .contains("3-D"));
    }
}
