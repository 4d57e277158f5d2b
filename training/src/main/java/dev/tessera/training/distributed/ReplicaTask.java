package dev.tessera.training.distributed;

import java.io.Serializable;

/**
 * The work one replica of a data-parallel job does, shipped to every Spark task (so it must be
 * serializable: hold paths as strings and configs as records, build the model inside {@link #run}).
 *
 * @param <R> what each replica returns to the driver
 */
@FunctionalInterface
public interface ReplicaTask<R extends Serializable> extends Serializable {
    /** Runs replica {@code replica.rank()}; every replica must call the collective the same way. */
    R run(Replica replica) throws Exception;
}
