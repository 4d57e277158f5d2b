package dev.tessera.training.distributed;

/**
 * The communication a data-parallel step needs between its replicas: an element-wise sum that
 * leaves the same result, bit for bit, on every replica. Implementations: {@link #single()} (one
 * process, the identity) and {@link SparkBarrierCollective} (the tasks of a Spark barrier stage); a
 * GPU transport such as NCCL's all-reduce would be another.
 *
 * <p>Every replica must make the same sequence of calls with arrays of the same length; a replica
 * that stops calling blocks the others until the stage is aborted.
 */
public interface Collective {
    /** This replica's index in [0, {@link #worldSize()}). */
    int rank();

    /** The number of replicas. */
    int worldSize();

    /**
     * Replaces {@code x} by the element-wise sum of every replica's {@code x}, added in rank order in
     * float64, so all replicas end with identical values.
     */
    void allReduceSum(double[] x);

    /** As {@link #allReduceSum(double[])} for float32 values (summed in float64, rounded once). */
    void allReduceSum(float[] x);

    /** The one-process collective: rank 0 of 1, every sum is the identity. */
    static Collective single() {
        return SingleProcess.INSTANCE;
    }
}
