package dev.tessera.bench.training;

import java.util.Locale;

/**
 * How a benchmarked GPT training step handles its memory.
 *
 * <ul>
 *   <li>{@link #FREE}: the library's default ({@code Trainer} does the same): the backward pass
 *       frees the graph as it goes ({@code Tensor.backwardAndFree}) and the gradients are freed
 *       after the optimizer step, so Tessera's pool hands their warm blocks to the next step.
 *   <li>{@link #WORKSPACE}: as {@code FREE}, with the forward pass's arrays in the reused
 *       {@code StepWorkspace} block.
 *   <li>{@link #PLAIN}: no deterministic release: the graph and the gradients are dropped and
 *       their memory comes back when the garbage collector finds them (the behaviour before).
 * </ul>
 */
enum StepMemory {
    FREE, WORKSPACE, PLAIN;

    /** {@code free}, {@code workspace} or {@code plain} (any case). */
    static StepMemory parse(String name) {
        try {
            return valueOf(name.toUpperCase(Locale.ROOT));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("step memory must be free, workspace or plain but was " + name, e);
        }
    }
}
