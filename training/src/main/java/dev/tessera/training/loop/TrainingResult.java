package dev.tessera.training.loop;

/**
 * How a run ended.
 *
 * @param reason why it stopped
 * @param step steps completed (with NON_FINITE from a training step, the failing step was step + 1
 *     and was not applied; from an evaluation, the evaluation followed step)
 * @param message a human-readable report, e.g. "non-finite gradient of 'h.0.mlp.c_fc.weight' at step 42"
 * @param lastEval the last validation metrics, or null
 */
public record TrainingResult(StopReason reason, long step, String message, EvalMetrics lastEval) {}
