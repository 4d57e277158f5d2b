package dev.tessera.training.distributed;

import dev.tessera.host.HostMemory;
import dev.tessera.nn.Parameter;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * The data-parallel part of a training step: sums, over the replicas of a {@link Collective}, the
 * number of valid targets (before the backward passes, so every replica normalises its loss by the
 * global count) and then every parameter's gradient and the loss (after them, before clipping and
 * the optimizer step). The summed gradient is then the gradient of the global batch's loss, so
 * clipping and AdamW act on the global gradient and every replica applies the same update.
 *
 * <p>One exchange per step moves one flat buffer: every gradient in the model's parameter order,
 * then one has-a-gradient flag per parameter, then the loss; float32 when every parameter is
 * float32, else float64. A parameter without a gradient on any replica keeps none (the optimizer
 * skips it, as in one process); one with a gradient on some replica gets the sum on all. A
 * float32 buffer carries the loss as float32 too, so the loss a float32 run reports is rounded to
 * float32 (the parameters are unaffected).
 */
public final class GradientExchange {
    private final Collective collective;
    private final Parameter[] params;
    private final int[] offsets;
    private final int length;
    private final boolean float64;
    private long exchanges;
    private long nanos;

    /** @param params the model's parameters by name, in the same order on every replica */
    public GradientExchange(Collective collective, Map<String, Parameter> params) {
        if (collective == null || params == null || params.isEmpty()) {
            throw new IllegalArgumentException("collective and a non-empty parameter map are required");
        }
        this.collective = collective;
        String[] names = params.keySet().toArray(new String[0]);
        this.params = params.values().toArray(new Parameter[0]);
        this.offsets = new int[this.params.length + 1];
        boolean anyDouble = false;
        long total = 0;
        for (int i = 0; i < this.params.length; i++) {
            Parameter p = this.params[i];
            if (p.dtype() != DataType.FLOAT && p.dtype() != DataType.DOUBLE) {
                throw new IllegalArgumentException("parameter '" + names[i] + "' must be FLOAT or DOUBLE but is " + p.dtype());
            }
            anyDouble |= p.dtype() == DataType.DOUBLE;
            offsets[i] = Math.toIntExact(total);
            total += p.length();
        }
        offsets[this.params.length] = Math.toIntExact(total);
        this.float64 = anyDouble;
        // gradients, one flag per parameter, the loss
        this.length = Math.toIntExact(total + this.params.length + 1);
    }

    public Collective collective() {
        return collective;
    }

    /** Elements in one step's gradient buffer (parameters' elements + one flag per parameter + the loss). */
    public int bufferLength() {
        return length;
    }

    /** Bytes of one replica's gradient buffer: {@link #bufferLength()} × 4 (float32) or × 8 (float64). */
    public long payloadBytes() {
        return (long) length * (float64 ? 8 : 4);
    }

    /** Gradient exchanges done so far. */
    public long exchanges() {
        return exchanges;
    }

    /** Wall time spent in {@link #sumCount} and {@link #sumGradients} (packing, the collective, unpacking), ns. */
    public long nanos() {
        return nanos;
    }

    /** The sum over the replicas of each one's valid-target count. */
    public long sumCount(long local) {
        if (local < 0) {
            throw new IllegalArgumentException("local count must be >= 0 but was " + local);
        }
        long t0 = System.nanoTime();
        double[] x = {local};
        collective.allReduceSum(x);
        nanos += System.nanoTime() - t0;
        return Math.round(x[0]);
    }

    /**
     * Replaces every parameter's gradient by its sum over the replicas and returns the summed loss
     * (NaN when some replica passes a non-finite loss, so all replicas stop together).
     *
     * @param localLoss this replica's share of the step's loss (its micro-batches' losses, each
     *     normalised by the global valid-target count), or NaN when it was not finite
     */
    public double sumGradients(double localLoss) {
        long t0 = System.nanoTime();
        double loss;
        if (float64) {
            double[] buf = new double[length];
            for (int i = 0; i < params.length; i++) {
                INDArray g = params[i].grad();
                if (g != null) {
                    INDArray d = HostMemory.dense(g.dataType() == DataType.DOUBLE ? g : g.castTo(DataType.DOUBLE));
                    d.data().asNio().order(ByteOrder.nativeOrder()).asDoubleBuffer().get(buf, offsets[i], (int) d.length());
                    buf[offsets[params.length] + i] = 1;
                }
            }
            buf[length - 1] = localLoss;
            collective.allReduceSum(buf);
            for (int i = 0; i < params.length; i++) {
                if (buf[offsets[params.length] + i] > 0) {
                    double[] part = Arrays.copyOfRange(buf, offsets[i], offsets[i + 1]);
                    store(params[i], Nd4j.create(part, params[i].shape(), 'c'));
                }
            }
            loss = buf[length - 1];
        } else {
            float[] buf = new float[length];
            for (int i = 0; i < params.length; i++) {
                INDArray g = params[i].grad();
                if (g != null) {
                    INDArray d = HostMemory.dense(g);
                    d.data().asNio().order(ByteOrder.nativeOrder()).asFloatBuffer().get(buf, offsets[i], (int) d.length());
                    buf[offsets[params.length] + i] = 1;
                }
            }
            buf[length - 1] = (float) localLoss;
            collective.allReduceSum(buf);
            for (int i = 0; i < params.length; i++) {
                if (buf[offsets[params.length] + i] > 0) {
                    float[] part = Arrays.copyOfRange(buf, offsets[i], offsets[i + 1]);
                    store(params[i], Nd4j.create(part, params[i].shape(), 'c'));
                }
            }
            loss = buf[length - 1];
        }
        exchanges++;
        nanos += System.nanoTime() - t0;
        return loss;
    }

    private static void store(Parameter p, INDArray sum) {
        INDArray sumInType = sum.dataType() == p.dtype() ? sum : sum.castTo(p.dtype());
        if (p.grad() == null) {
            p.accumulateGradOwned(sumInType);
        } else {
            p.grad().assign(sumInType);
        }
    }
}
