package dev.tessera.training.distributed;

import dev.tessera.core.Require;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Base64;
import org.apache.spark.BarrierTaskContext;

/**
 * A {@link Collective} over the tasks of a Spark barrier stage, built on
 * {@link BarrierTaskContext#allGather(String)}: each task sends its values (little-endian, Base64,
 * as allGather carries strings) to the driver's barrier coordinator, which answers every task with
 * all the tasks' messages in partition order; each task then adds them in rank order.
 *
 * <p>Cost per call with N tasks and a payload of S bytes: each task sends 4S/3 and receives N·4S/3
 * bytes; the driver receives N·4S/3 and sends N²·4S/3. It goes through Spark's RPC, so one
 * message must stay below {@code spark.rpc.message.maxSize} (MiB, default 128, at most 2047):
 * N·4S/3 for the reply. This is the simple all-gather-then-sum; a ring all-reduce (NCCL on GPUs,
 * or Gloo/MPI on CPUs) moves about 2S per task whatever N is.
 */
public final class SparkBarrierCollective implements Collective {
    private final BarrierTaskContext context;
    private final int rank;
    private final int worldSize;
    private long bytesSent;
    private long bytesReceived;
    private long calls;

    public SparkBarrierCollective(BarrierTaskContext context) {
        Require.nonNull("context", context);
        this.context = context;
        this.rank = context.partitionId();
        this.worldSize = context.getTaskInfos().length;
    }

    @Override
    public int rank() {
        return rank;
    }

    @Override
    public int worldSize() {
        return worldSize;
    }

    /** Message bytes this task has sent (Base64 characters). */
    public long bytesSent() {
        return bytesSent;
    }

    /** Message bytes this task has received (Base64 characters of every task's message). */
    public long bytesReceived() {
        return bytesReceived;
    }

    /** allGather calls so far. */
    public long calls() {
        return calls;
    }

    @Override
    public void allReduceSum(double[] x) {
        ByteBuffer b = ByteBuffer.allocate(8 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asDoubleBuffer().put(x);
        double[] sum = new double[x.length];
        for (String m : gather(b.array(), x.length, 8)) {
            ByteBuffer in = ByteBuffer.wrap(Base64.getDecoder().decode(m)).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < sum.length; i++) {
                sum[i] += in.getDouble(8 * i);
            }
        }
        System.arraycopy(sum, 0, x, 0, x.length);
    }

    @Override
    public void allReduceSum(float[] x) {
        ByteBuffer b = ByteBuffer.allocate(4 * x.length).order(ByteOrder.LITTLE_ENDIAN);
        b.asFloatBuffer().put(x);
        double[] sum = new double[x.length];
        for (String m : gather(b.array(), x.length, 4)) {
            ByteBuffer in = ByteBuffer.wrap(Base64.getDecoder().decode(m)).order(ByteOrder.LITTLE_ENDIAN);
            for (int i = 0; i < sum.length; i++) {
                sum[i] += in.getFloat(4 * i);
            }
        }
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) sum[i];
        }
    }

    /** Every task's message, in rank order, each checked to hold {@code count} values of {@code width} bytes. */
    private String[] gather(byte[] payload, int count, int width) {
        String message = Base64.getEncoder().encodeToString(payload);
        String[] all = context.allGather(message);
        calls++;
        bytesSent += message.length();
        if (all.length != worldSize) {
            throw new IllegalStateException("allGather returned " + all.length + " messages for " + worldSize + " tasks");
        }
        long expected = 4L * ((count * (long) width + 2) / 3);
        for (int r = 0; r < all.length; r++) {
            bytesReceived += all[r].length();
            if (all[r].length() != expected) {
                throw new IllegalStateException("task " + r + " sent " + all[r].length() + " Base64 characters but task "
                        + rank + " expected " + expected + " (" + count + " values of " + width + " bytes): the replicas"
                        + " do not exchange the same buffers");
            }
        }
        return all;
    }
}
