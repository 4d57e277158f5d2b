package dev.tessera.training.optim;

import dev.tessera.host.HostMemory;
import java.lang.ref.Reference;
import java.nio.FloatBuffer;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * One parameter's SGD update (the formula is on {@link SgdConfig}), two ways that compute the same
 * thing: {@link #fused} for float32 on ND4J's CPU backend, one pass over the parameter's, the
 * gradient's and the momentum buffer's own memory; {@link #portable} from ND4J ops only, for
 * float64, other backends and {@code tessera.kernels=portable}.
 */
final class SgdUpdate {
    private SgdUpdate() {}

    /**
     * The step's settings.
     *
     * @param first whether this is the first step (the momentum buffer starts as the update itself)
     */
    record Scalars(double lr, double momentum, double weightDecay, boolean nesterov, boolean first) {}

    /** In place on {@code p} and {@code buf}; all three arrays dense float32 (C order, offset 0) with one length. */
    static void fused(INDArray p, INDArray g, INDArray buf, Scalars s) {
        FloatBuffer pb = HostMemory.floats(p);
        FloatBuffer gb = HostMemory.floats(g);
        FloatBuffer bb = HostMemory.floats(buf);
        float lr = (float) s.lr();
        float mu = (float) s.momentum();
        float wd = (float) s.weightDecay();
        boolean momentum = s.momentum() > 0;
        boolean nesterov = s.nesterov();
        boolean first = s.first();
        HostChunks.run(Math.toIntExact(p.length()), (start, len, a) -> {
            float[] pa = a[0];
            float[] ga = a[1];
            float[] ba = a[2];
            pb.get(start, pa, 0, len);
            gb.get(start, ga, 0, len);
            if (momentum && !first) {
                bb.get(start, ba, 0, len);
            }
            for (int i = 0; i < len; i++) {
                float x = pa[i];
                float d = ga[i] + wd * x;
                float update = d;
                if (momentum) {
                    float b = first ? d : mu * ba[i] + d;
                    ba[i] = b;
                    update = nesterov ? d + mu * b : b;
                }
                pa[i] = x - lr * update;
            }
            pb.put(start, pa, 0, len);
            if (momentum) {
                bb.put(start, ba, 0, len);
            }
        });
        Reference.reachabilityFence(p); // the buffers above do not keep their arrays alive
        Reference.reachabilityFence(g);
        Reference.reachabilityFence(buf);
    }

    /** In place on {@code p} and {@code buf}, with ND4J ops (any dtype, any backend, g may be a view). */
    static void portable(INDArray p, INDArray g, INDArray buf, Scalars s) {
        INDArray d = s.weightDecay() != 0 ? g.add(p.mul(s.weightDecay())) : g.dup();
        INDArray update = d;
        if (s.momentum() > 0) {
            if (s.first()) {
                buf.assign(d);
            } else {
                buf.muli(s.momentum()).addi(d);
            }
            update = s.nesterov() ? d.addi(buf.mul(s.momentum())) : buf;
        }
        p.subi(update.mul(s.lr()));
    }
}
