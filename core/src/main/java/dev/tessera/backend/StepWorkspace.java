package dev.tessera.backend;

import java.util.function.Supplier;
import org.nd4j.linalg.api.memory.MemoryWorkspace;
import org.nd4j.linalg.api.memory.conf.WorkspaceConfiguration;
import org.nd4j.linalg.api.memory.enums.AllocationPolicy;
import org.nd4j.linalg.api.memory.enums.LearningPolicy;
import org.nd4j.linalg.api.memory.enums.ResetPolicy;
import org.nd4j.linalg.api.memory.enums.SpillPolicy;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Native memory reused from one training step to the next for the step's forward pass: while a
 * step workspace is open on a thread, every ND4J array that thread creates (activations, the
 * outputs of ND4J's ops and of Tessera's kernels) is carved out of one block that is allocated once
 * and handed out again, from its start, at every step, instead of each array being a fresh native
 * allocation freed later by the garbage collector.
 *
 * <pre>{@code
 * try (StepWorkspace ws = StepWorkspace.open()) {
 *     LossResult r = CausalLmLoss.loss(model.forward(ids), ids, options);  // reused memory
 *     loss = StepWorkspace.outside(() -> {                                // ordinary allocation
 *         r.loss().backward();
 *         optimizer.step();
 *         optimizer.zeroGrad();
 *         return r.loss().item();
 *     });
 * }   // every array created inside, outside of outside(...), is invalid from here on
 * }</pre>
 *
 * <p>Why: profiled on a 2-core Zen 4 machine, ND4J's per-array native allocation (malloc, page
 * faults of fresh pages, zeroing, deallocator registration) was about a sixth of a GPT training
 * step. ND4J's workspaces are its mechanism for exactly this; this class fixes the set-up a step
 * needs. The first step runs with ordinary allocations while the workspace measures what it uses
 * ({@link LearningPolicy#FIRST_LOOP}); at its close those are freed and the block is allocated with
 * that size. Later steps bump a pointer inside the block. A step that needs more (a longer batch)
 * spills to ordinary allocations and the block grows at the next close ({@link SpillPolicy#REALLOCATE}),
 * so nothing fails, the memory is just not reused for that step.
 *
 * <p>Why only the forward pass: the block is a bump allocator, nothing in it is freed before the
 * scope closes. The forward pass's activations stay alive until the backward pass anyway, so
 * holding them in the block should cost little extra memory; the backward pass's gradients are
 * dropped as soon as they have been propagated, and holding all of them until the end of the step
 * raised the GPT benchmark's peak RSS from 1.26–1.55 GB to 2.0 GB (measured, B 8 × T 256). So the
 * backward pass and the optimizer step run inside {@link #outside}: ordinary allocation, while the
 * forward's arrays in the block stay valid because the scope is still open. Even so the block
 * raises the peak (forward only: 1.46–1.48 GB against 1.26–1.27 GB over 5 steps, measured),
 * probably because forward temporaries that the collector would free stay in it until the step
 * ends; hence it is opt-in ({@code Trainer.reuseStepMemory}).
 *
 * <p>The rule that makes it safe: arrays created in the scope are valid until it closes and not
 * after, as the next step overwrites their memory. Parameters and optimizer state are created
 * before (Tessera's optimizers create their moments in their constructors) and only updated in
 * place. State that is first created during a step and must outlive it (a lazily built cache) must
 * be made through {@link #outside}. Values to keep ({@code loss.item()}, metrics) are read before
 * the scope closes, or copied out with {@code outside(() -> x.dup())}. Results are unchanged (the
 * same ops run on the same values; tested bit for bit against ordinary allocation).
 *
 * <p>One workspace per thread (ND4J keeps them per thread); opening it while it is already open
 * on the same thread is an error.
 */
public final class StepWorkspace implements AutoCloseable {

    /** ND4J's id of the workspace; one per thread. */
    static final String ID = "TESSERA_STEP";

    private static final WorkspaceConfiguration CONFIG = WorkspaceConfiguration.builder()
            .initialSize(0)
            .policyLearning(LearningPolicy.FIRST_LOOP)
            .policyAllocation(AllocationPolicy.STRICT)
            .policyReset(ResetPolicy.BLOCK_LEFT)
            .policySpill(SpillPolicy.REALLOCATE)
            .build();

    private final MemoryWorkspace workspace;
    private final Thread owner;
    private boolean closed;

    private StepWorkspace(MemoryWorkspace workspace) {
        this.workspace = workspace;
        this.owner = Thread.currentThread();
    }

    /**
     * Opens this thread's step workspace: arrays created on this thread until {@link #close()} are
     * taken from it.
     *
     * @throws IllegalStateException when it is already open on this thread
     */
    public static StepWorkspace open() {
        Backend.init();
        if (Nd4j.getWorkspaceManager().checkIfWorkspaceExistsAndActive(ID)) {
            throw new IllegalStateException("StepWorkspace.open: the step workspace is already open on thread "
                    + Thread.currentThread().getName() + "; close it before opening the next step");
        }
        return new StepWorkspace(Nd4j.getWorkspaceManager().getAndActivateWorkspace(CONFIG, ID));
    }

    /** Whether the step workspace is open on the calling thread. */
    public static boolean isOpen() {
        Backend.init();
        return Nd4j.getWorkspaceManager().checkIfWorkspaceExistsAndActive(ID);
    }

    /**
     * Runs {@code body} with ordinary (not reused) allocation, so that what it creates outlives the
     * step: lazily created caches, values kept after the step. Works whether or not a step
     * workspace is open.
     */
    public static <T> T outside(Supplier<T> body) {
        Backend.init();
        try (MemoryWorkspace ignored = Nd4j.getWorkspaceManager().scopeOutOfWorkspaces()) {
            return body.get();
        }
    }

    /** {@link #outside(Supplier)} for a body without a result (e.g. {@code loss.backward()}). */
    public static void runOutside(Runnable body) {
        outside(() -> {
            body.run();
            return null;
        });
    }

    /**
     * Bytes of the reused block on the calling thread: 0 before the end of the first step, then
     * the size learnt from it (grows only after a larger step).
     */
    public static long reservedBytes() {
        Backend.init();
        if (!Nd4j.getWorkspaceManager().checkIfWorkspaceExists(ID)) {
            return 0;
        }
        return Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(CONFIG, ID).getCurrentSize();
    }

    /**
     * Frees the calling thread's reused block (e.g. when training is over); the next
     * {@link #open()} learns its size again. Does nothing where there is none.
     *
     * @throws IllegalStateException while the step workspace is open on this thread
     */
    public static void release() {
        Backend.init();
        if (!Nd4j.getWorkspaceManager().checkIfWorkspaceExists(ID)) {
            return;
        }
        if (Nd4j.getWorkspaceManager().checkIfWorkspaceExistsAndActive(ID)) {
            throw new IllegalStateException("StepWorkspace.release: the step workspace is open on thread "
                    + Thread.currentThread().getName() + "; close it first");
        }
        Nd4j.getWorkspaceManager().destroyWorkspace(Nd4j.getWorkspaceManager().getWorkspaceForCurrentThread(CONFIG, ID));
    }

    /**
     * Ends the step: the memory of every array created inside is handed out again by the next
     * {@link #open()}. Must be called on the thread that opened it; closing twice does nothing.
     *
     * @throws IllegalStateException when called from another thread
     */
    @Override
    public void close() {
        if (closed) {
            return;
        }
        if (Thread.currentThread() != owner) {
            throw new IllegalStateException("StepWorkspace.close: opened on thread " + owner.getName()
                    + " but closed on " + Thread.currentThread().getName());
        }
        closed = true;
        workspace.close();
    }
}
