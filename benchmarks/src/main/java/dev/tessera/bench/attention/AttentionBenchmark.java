package dev.tessera.bench.attention;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.tessera.attention.AttentionImpl;
import dev.tessera.attention.AttentionOptions;
import dev.tessera.attention.ScaledDotProductAttention;
import dev.tessera.backend.Backend;
import dev.tessera.bench.Outputs;
import dev.tessera.bench.PyTorch;
import dev.tessera.core.GradMode;
import dev.tessera.core.Tensor;
import dev.tessera.host.HostMemory;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.api.ops.DynamicCustomOp;
import org.nd4j.linalg.factory.Nd4j;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.infra.Blackhole;

/**
 * Causal scaled dot-product attention, float32, (B, H, T, D) inputs, forward (no gradient
 * recording) and forward + backward (gradients of q, k and v for a fixed upstream gradient):
 * <ul>
 *   <li>{@code tessera_*}: the fused op ({@link AttentionImpl#FUSED}: per-head oneDNN GEMMs over the causal
 *       blocks and Java row loops), its output and gradients from Tessera's pool and released after each
 *       call, as the other kernel rows do ({@link Outputs});</li>
 *   <li>{@code tiled_*}: Tessera's tiled FlashAttention-2-style op ({@link AttentionImpl#TILED});</li>
 *   <li>{@code naive_*}: the same attention composed from Tessera ops (matmul, scale, masked fill, softmax, matmul);</li>
 *   <li>{@code nd4j_*}: ND4J's {@code dot_product_attention} / {@code dot_product_attention_bp} custom ops
 *       ({@code org.nd4j.linalg.api.ops.impl.transforms.custom.DotProductAttention}), which take
 *       (B, H, D, T) layouts and have no causal mask, so they do the same work unmasked;</li>
 *   <li>{@code pytorch_*}: PyTorch 2.7.1 eager through DJL, composed from matmul / add mask / softmax /
 *       matmul with autograd, as the reference numbers.</li>
 * </ul>
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx6g", "-Xms6g", "--add-modules", "jdk.incubator.vector"})
public class AttentionBenchmark {

    @Param({"4x8x256x64", "1x8x1024x64"})
    public String attnShape;

    /** Tessera / ND4J operands. */
    @State(Scope.Benchmark)
    public static class Nd4jSide {
        Tensor q; // (B, H, T, D)
        Tensor k;
        Tensor v;
        INDArray g; // (B, H, T, D) upstream gradient
        INDArray causal; // (1, 1, T, T) 1 above the diagonal, for the naive composition
        INDArray qt; // (B, H, D, T) ND4J's layout
        INDArray kt;
        INDArray vt;
        INDArray gt;

        @Setup(Level.Trial)
        public void setUp(AttentionBenchmark b) {
            HostMemory.setPooling(true); // outputs from the pool, released after each call (Outputs)
            Backend.init();
            int[] s = AttentionInputs.shape(b.attnShape);
            float[][] v4 = AttentionInputs.values(s);
            long[] sh = {s[0], s[1], s[2], s[3]};
            q = Tensor.variable(Nd4j.create(v4[0], sh, 'c'));
            k = Tensor.variable(Nd4j.create(v4[1], sh, 'c'));
            v = Tensor.variable(Nd4j.create(v4[2], sh, 'c'));
            g = Nd4j.create(v4[3], sh, 'c');
            float[] m = new float[s[2] * s[2]];
            for (int i = 0; i < s[2]; i++) {
                for (int j = i + 1; j < s[2]; j++) {
                    m[i * s[2] + j] = 1;
                }
            }
            causal = Nd4j.create(m, new long[] {1, 1, s[2], s[2]}, 'c');
            qt = q.data().permute(0, 1, 3, 2).dup('c');
            kt = k.data().permute(0, 1, 3, 2).dup('c');
            vt = v.data().permute(0, 1, 3, 2).dup('c');
            gt = g.permute(0, 1, 3, 2).dup('c');
        }

        void zeroGrads() {
            q.zeroGrad();
            k.zeroGrad();
            v.zeroGrad();
        }

        /** Hands the last call's gradients back to the pool (as PyTorch frees them), then clears them. */
        void releaseGrads() {
            for (Tensor t : new Tensor[] {q, k, v}) {
                if (t.grad() != null) {
                    HostMemory.release(t.grad());
                }
            }
            zeroGrads();
        }
    }

    /** PyTorch operands, same values. */
    @State(Scope.Benchmark)
    public static class TorchSide {
        NDManager manager;
        NDArray q; // (B, H, T, D)
        NDArray k;
        NDArray v;
        NDArray g;
        NDArray mask; // (T, T) 0 on and below the diagonal, -inf above
        float scale;

        @Setup(Level.Trial)
        public void setUp(AttentionBenchmark b) {
            int[] s = AttentionInputs.shape(b.attnShape);
            float[][] v4 = AttentionInputs.values(s);
            manager = PyTorch.newManager();
            Shape sh = new Shape(s[0], s[1], s[2], s[3]);
            q = manager.create(v4[0], sh);
            k = manager.create(v4[1], sh);
            v = manager.create(v4[2], sh);
            g = manager.create(v4[3], sh);
            float[] m = new float[s[2] * s[2]];
            for (int i = 0; i < s[2]; i++) {
                for (int j = i + 1; j < s[2]; j++) {
                    m[i * s[2] + j] = Float.NEGATIVE_INFINITY;
                }
            }
            mask = manager.create(m, new Shape(s[2], s[2]));
            scale = (float) (1.0 / Math.sqrt(s[3]));
            q.setRequiresGradient(true);
            k.setRequiresGradient(true);
            v.setRequiresGradient(true);
        }

        @TearDown(Level.Trial)
        public void tearDown() {
            manager.close();
        }

        /** softmax(q kᵀ · scale + mask) v, every intermediate recorded in {@code temps} for closing. */
        NDArray attention(List<NDArray> temps) {
            NDArray s = keep(temps, q.matMul(keep(temps, k.transpose(0, 1, 3, 2))));
            NDArray p = keep(temps, keep(temps, keep(temps, s.mul(scale)).add(mask)).softmax(-1));
            return keep(temps, p.matMul(v));
        }

        private static NDArray keep(List<NDArray> temps, NDArray a) {
            temps.add(a);
            return a;
        }
    }

    // ---------------------------------------------------------------- forward

    @Benchmark
    public void tessera_forward(Nd4jSide o, Blackhole bh) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            bh.consume(Outputs.firstAndRelease(ScaledDotProductAttention.attention(o.q, o.k, o.v,
                    AttentionOptions.causalMask(), AttentionImpl.FUSED).data()));
        }
    }

    @Benchmark
    public void tiled_forward(Nd4jSide o, Blackhole bh) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            bh.consume(ScaledDotProductAttention.attention(o.q, o.k, o.v, AttentionOptions.causalMask(),
                    AttentionImpl.TILED).data());
        }
    }

    @Benchmark
    public void naive_forward(Nd4jSide o, Blackhole bh) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            bh.consume(naive(o).data());
        }
    }

    @Benchmark
    public void nd4j_forward(Nd4jSide o, Blackhole bh) {
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, o.vt.shape());
        Nd4j.exec(DynamicCustomOp.builder("dot_product_attention").addInputs(o.qt, o.kt, o.vt)
                .addOutputs(out).addIntegerArguments(1, 0).build());
        bh.consume(out);
    }

    @Benchmark
    public void pytorch_forward(TorchSide o, Blackhole bh) {
        List<NDArray> temps = new ArrayList<>();
        bh.consume(o.attention(temps));
        temps.forEach(NDArray::close);
    }

    // ---------------------------------------------------------------- forward + backward

    @Benchmark
    public void tessera_forwardBackward(Nd4jSide o, Blackhole bh) {
        o.releaseGrads();
        Tensor y = ScaledDotProductAttention.attention(o.q, o.k, o.v, AttentionOptions.causalMask(), AttentionImpl.FUSED);
        Outputs.backwardAndRelease(y, o.g);
        bh.consume(o.q.grad());
    }

    @Benchmark
    public void tiled_forwardBackward(Nd4jSide o, Blackhole bh) {
        o.zeroGrads();
        Tensor y = ScaledDotProductAttention.attention(o.q, o.k, o.v, AttentionOptions.causalMask(), AttentionImpl.TILED);
        y.backward(o.g);
        bh.consume(o.q.grad());
    }

    @Benchmark
    public void naive_forwardBackward(Nd4jSide o, Blackhole bh) {
        o.zeroGrads();
        naive(o).backward(o.g);
        bh.consume(o.q.grad());
    }

    @Benchmark
    public void nd4j_forwardBackward(Nd4jSide o, Blackhole bh) {
        INDArray out = Nd4j.createUninitialized(DataType.FLOAT, o.vt.shape());
        Nd4j.exec(DynamicCustomOp.builder("dot_product_attention").addInputs(o.qt, o.kt, o.vt)
                .addOutputs(out).addIntegerArguments(1, 0).build());
        INDArray dq = Nd4j.createUninitialized(DataType.FLOAT, o.qt.shape());
        INDArray dk = Nd4j.createUninitialized(DataType.FLOAT, o.kt.shape());
        INDArray dv = Nd4j.createUninitialized(DataType.FLOAT, o.vt.shape());
        Nd4j.exec(DynamicCustomOp.builder("dot_product_attention_bp").addInputs(o.qt, o.kt, o.vt, o.gt)
                .addOutputs(dq, dk, dv).addIntegerArguments(1).build());
        bh.consume(out);
        bh.consume(dq);
    }

    @Benchmark
    public void pytorch_forwardBackward(TorchSide o, Blackhole bh) {
        List<NDArray> temps = new ArrayList<>();
        try (GradientCollector gc = o.manager.getEngine().newGradientCollector()) {
            NDArray y = o.attention(temps);
            NDArray loss = y.mul(o.g);
            temps.add(loss);
            NDArray sum = loss.sum();
            temps.add(sum);
            gc.backward(sum);
        }
        bh.consume(o.q.getGradient());
        temps.forEach(NDArray::close);
    }

    /** The composition a user would write from Tessera ops. */
    private static Tensor naive(Nd4jSide o) {
        double scale = 1.0 / Math.sqrt(o.q.size(3));
        Tensor s = o.q.matmul(o.k.transpose(2, 3)).mul(scale); // (B, H, T, T)
        return s.maskedFill(Tensor.constant(o.causal), Double.NEGATIVE_INFINITY).softmax(3).matmul(o.v);
    }
}
