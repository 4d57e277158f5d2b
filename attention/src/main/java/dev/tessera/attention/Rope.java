package dev.tessera.attention;

import dev.tessera.host.HostMemory;
import dev.tessera.core.Tensor;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Rotary position embeddings (Su et al., RoFormer) as one autograd node, in the "rotate half"
 * layout of GPT-NeoX and Hugging Face Llama: with x = [x1, x2] split at D/2 and angle
 * {@code θ_i = pos · invFreq_i},
 * <pre>y1 = x1 cos θ − x2 sin θ,   y2 = x2 cos θ + x1 sin θ</pre>
 * and the backward is the inverse rotation. Positions are per sequence (B, T), so left-padded
 * batches and KV-cache decoding rotate each token by its own position.
 */
public final class Rope {
    private Rope() {}

    /**
     * @param x (B, H, T, D), D even
     * @param positions (B, T) integer positions
     * @return (B, H, T, D)
     */
    public static Tensor apply(Tensor x, INDArray positions, RopeConfig config) {
        if (x.rank() != 4) {
            throw new IllegalArgumentException("rope: x must be (B, H, T, D) but has shape " + Arrays.toString(x.shape()));
        }
        long b = x.size(0);
        long t = x.size(2);
        int d = (int) x.size(3);
        if (d % 2 != 0) {
            throw new IllegalArgumentException("rope: head size D must be even but was " + d);
        }
        if (positions == null || positions.rank() != 2 || positions.size(0) != b || positions.size(1) != t) {
            throw new IllegalArgumentException("rope: positions must have shape [" + b + ", " + t + "] (B, T) but has "
                    + (positions == null ? "null" : Arrays.toString(positions.shape())));
        }
        int half = d / 2;
        double[] inv = config.inverseFrequencies(d);
        long[] pos = positions.castTo(DataType.LONG).dup('c').data().asLong();
        double[] cos = new double[(int) (b * t * half)];
        double[] sin = new double[cos.length];
        for (int r = 0; r < b * t; r++) {
            double p = config.scaledPosition(pos[r]);
            for (int i = 0; i < half; i++) {
                double a = p * inv[i];
                cos[r * half + i] = Math.cos(a);
                sin[r * half + i] = Math.sin(a);
            }
        }
        long[] shape = x.shape();
        long[] halfShape = {b, x.size(1), t, half};
        INDArray c = Nd4j.create(cos, new long[] {b, 1, t, half}, DataType.DOUBLE).castTo(x.dtype()).broadcast(halfShape);
        INDArray s = Nd4j.create(sin, new long[] {b, 1, t, half}, DataType.DOUBLE).castTo(x.dtype()).broadcast(halfShape);
        INDArray xd = HostMemory.dense(x.data());
        INDArray y = rotate(xd, c, s, half, shape, false);
        return Tensor.fromOp("rope", y, g -> x.accumulateGradOwned(rotate(HostMemory.dense(g), c, s, half, shape, true)), x);
    }

    /** [x1 cos − x2 sin, x2 cos + x1 sin], or the inverse rotation (sin negated). */
    private static INDArray rotate(INDArray x, INDArray cos, INDArray sin, int half, long[] shape, boolean inverse) {
        INDArray x1 = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.interval(0, half));
        INDArray x2 = x.get(NDArrayIndex.all(), NDArrayIndex.all(), NDArrayIndex.all(),
                NDArrayIndex.interval(half, 2 * half));
        INDArray y1 = x1.mul(cos);
        INDArray y2 = x2.mul(cos);
        if (inverse) {
            y1.addi(x2.mul(sin));
            y2.subi(x1.mul(sin));
        } else {
            y1.subi(x2.mul(sin));
            y2.addi(x1.mul(sin));
        }
        return Nd4j.concat(3, y1, y2).reshape('c', shape);
    }
}
