package dev.tessera.training.optim;

import dev.tessera.host.HostMemory;
import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * One parameter's AdamW update (the formula is on {@link AdamW}), two ways that compute the same
 * thing: {@link #fused} for float32 on ND4J's CPU backend, one pass over the parameter's, the
 * gradient's and the moments' own memory in float32 (as PyTorch's float32 AdamW computes); and
 * {@link #portable} from ND4J ops only, for float64, other backends and
 * {@code tessera.kernels=portable}.
 */
final class AdamWUpdate {
    private AdamWUpdate() {}

    /**
     * The step's scalars.
     *
     * @param shrink 1 − lr·wd for decaying parameters, else 1
     * @param stepSize lr / (1 − β1^t)
     * @param bc2Sqrt √(1 − β2^t)
     */
    record Scalars(double beta1, double beta2, double shrink, double stepSize, double bc2Sqrt, double eps) {}

    /**
     * In place on {@code p}, {@code m} and {@code v}; all four arrays dense float32 (C order,
     * offset 0) with one length.
     */
    static void fused(INDArray p, INDArray g, INDArray m, INDArray v, Scalars s) {
        FloatBuffer pb = HostMemory.floats(p);
        FloatBuffer gb = HostMemory.floats(g);
        FloatBuffer mb = HostMemory.floats(m);
        FloatBuffer vb = HostMemory.floats(v);
        float b1 = (float) s.beta1();
        float b2 = (float) s.beta2();
        float c1 = (float) (1 - s.beta1());
        float c2 = (float) (1 - s.beta2());
        float shrink = (float) s.shrink();
        float stepSize = (float) s.stepSize();
        float bc2Sqrt = (float) s.bc2Sqrt();
        float eps = (float) s.eps();
        HostChunks.run(Math.toIntExact(p.length()), (start, len, a) -> {
            float[] pa = a[0];
            float[] ga = a[1];
            float[] ma = a[2];
            float[] va = a[3];
            pb.get(start, pa, 0, len);
            gb.get(start, ga, 0, len);
            mb.get(start, ma, 0, len);
            vb.get(start, va, 0, len);
            for (int i = 0; i < len; i++) {
                float gi = ga[i];
                float mi = b1 * ma[i] + c1 * gi;
                float vi = b2 * va[i] + c2 * gi * gi;
                ma[i] = mi;
                va[i] = vi;
                float denom = (float) Math.sqrt(vi) / bc2Sqrt + eps;
                pa[i] = pa[i] * shrink - stepSize * mi / denom;
            }
            pb.put(start, pa, 0, len);
            mb.put(start, ma, 0, len);
            vb.put(start, va, 0, len);
        });
        Reference.reachabilityFence(p); // the buffers above do not keep their arrays alive
        Reference.reachabilityFence(g);
        Reference.reachabilityFence(m);
        Reference.reachabilityFence(v);
    }

    /** In place on {@code p}, {@code m} and {@code v}, with ND4J ops (any dtype, any backend, g may be a view). */
    static void portable(INDArray p, INDArray g, INDArray m, INDArray v, Scalars s) {
        if (s.shrink() != 1) {
            p.muli(s.shrink());
        }
        m.muli(s.beta1()).addi(g.mul(1 - s.beta1()));
        v.muli(s.beta2()).addi(g.mul(g).muli(1 - s.beta2()));
        INDArray denom = Transforms.sqrt(v, true).divi(s.bc2Sqrt()).addi(s.eps());
        p.subi(m.div(denom).muli(s.stepSize()));
    }
}
