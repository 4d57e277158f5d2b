/**
 * Data-parallel training: N replicas of one model, each on its shard of every global batch, whose
 * gradients are summed every step so that all apply the same AdamW update and stay identical.
 *
 * <ul>
 *   <li>{@link dev.tessera.training.distributed.Collective}: the element-wise sum over the replicas;
 *       {@code Collective.single()} for one process, {@link
 *       dev.tessera.training.distributed.SparkBarrierCollective} over a Spark barrier stage.
 *   <li>{@link dev.tessera.training.distributed.GradientExchange}: what the {@code Trainer} sums per
 *       step (the valid-target count before the backward passes; gradients and loss after them).
 *   <li>{@link dev.tessera.training.distributed.SparkDataParallel}: runs a {@link
 *       dev.tessera.training.distributed.ReplicaTask} on N gang-scheduled tasks, reruns the stage
 *       when a task fails, and logs the cluster's progress on the driver.
 * </ul>
 * The sharded sampler is {@code WindowSampler}'s replica constructor; the command line is
 * {@code dev.tessera.training.cli.SparkPretrain}. Spark is a {@code provided} dependency: only this
 * package (and {@code SparkPretrain}) use it, and {@code Collective} and {@code GradientExchange}
 * need no Spark on the class path.
 */
package dev.tessera.training.distributed;
