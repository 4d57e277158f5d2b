package dev.tessera.rlhf.ppo;

import dev.tessera.core.Tensor;
import dev.tessera.nn.Parameter;
import dev.tessera.training.loop.OnNonFinite;
import dev.tessera.training.loop.StepGuard;
import dev.tessera.training.optim.Optimizer;
import java.util.Map;
import org.slf4j.Logger;

/**
 * The guarded backward of one minibatch step in the RLHF loops (PPO, GRPO): backward of a finite
 * loss, then {@link StepGuard}'s global-norm clip and non-finite check over the trained
 * parameters. A step that fails the check leaves nothing behind: its gradients are zeroed, so
 * neither the weights nor the optimizer's moments see it, and it either stops the run or is
 * skipped with a warning ({@link OnNonFinite}).
 */
public final class GuardedStep {
    private final Map<String, Parameter> trained;
    private final Optimizer optimizer;
    private final double maxGradNorm;
    private final OnNonFinite onNonFinite;
    private final Logger log;

    /**
     * @param trained the parameters whose gradients are clipped and checked
     * @param optimizer zeroes the gradients of a rejected step (the caller steps it after an accepted one)
     * @param maxGradNorm the global norm gradients are clipped to, &gt; 0 (+inf: measured, not clipped)
     * @param onNonFinite stop with an exception or skip the step
     * @param log where a skipped step is reported (the loop's own logger)
     */
    public GuardedStep(Map<String, Parameter> trained, Optimizer optimizer, double maxGradNorm, OnNonFinite onNonFinite,
            Logger log) {
        if (trained == null || optimizer == null || onNonFinite == null || log == null) {
            throw new IllegalArgumentException("GuardedStep: trained, optimizer, onNonFinite and log must not be null");
        }
        if (!(maxGradNorm > 0)) {
            throw new IllegalArgumentException("GuardedStep: maxGradNorm must be > 0 (or +inf) but was " + maxGradNorm);
        }
        this.trained = trained;
        this.optimizer = optimizer;
        this.maxGradNorm = maxGradNorm;
        this.onNonFinite = onNonFinite;
        this.log = log;
    }

    /**
     * Backward of {@code loss} when it is finite, then the clip and check. An accepted step's
     * verdict is {@link StepGuard.Verdict#ok() ok} and its clipped gradients are ready for the
     * optimizer's step. A rejected step's gradients are zeroed; with {@link OnNonFinite#STOP} it
     * throws an {@link IllegalStateException} naming {@code where} and the problem, otherwise it
     * logs a warning and returns the verdict for the caller to skip the step.
     *
     * @param loss the step's scalar loss
     * @param where the step, for messages, e.g. "PPO iteration 3, epoch 0, minibatch step 2"
     * @return the verdict; its gradient norm is NaN when the loss was already not finite
     */
    public StepGuard.Verdict backward(Tensor loss, String where) {
        double value = loss.item();
        StepGuard.Verdict verdict;
        String lossProblem = StepGuard.lossProblem(value);
        if (lossProblem == null) {
            loss.backward();
            verdict = StepGuard.clip(trained, maxGradNorm);
        } else {
            verdict = new StepGuard.Verdict(Double.NaN, lossProblem);
        }
        if (!verdict.ok()) {
            optimizer.zeroGrad(); // nothing of this step reaches the weights or the optimizer's moments
            if (onNonFinite == OnNonFinite.STOP) {
                throw new IllegalStateException(where + ": non-finite " + verdict.problem() + "; stopped before applying it");
            }
            log.warn("{}: non-finite {}; step skipped", where, verdict.problem());
        }
        return verdict;
    }
}
