package dev.tessera.rlhf.grpo;

/**
 * What one GRPO or RLOO iteration did.
 *
 * @param iteration 1-based
 * @param meanScore mean score of the completions (before any KL penalty)
 * @param klToReference mean over completions of Σ_t (log π − log π_ref) at sampling time (k1, nats per sequence)
 * @param loss mean loss over the applied minibatch steps (NaN when every step was skipped)
 * @param clipFraction mean fraction of clipped tokens
 * @param meanKl mean per-token k3 estimate of the KL to the reference over the applied steps
 * @param firstRatioMean mean probability ratio on the first minibatch step (1 exactly)
 * @param flatGroups groups whose k scores were all equal (no learning signal from them)
 * @param minibatchSteps optimiser steps taken
 * @param skippedSteps steps skipped for a non-finite loss or gradient
 * @param meanResponseLength mean generated tokens per completion
 */
public record GroupStats(int iteration, double meanScore, double klToReference, double loss, double clipFraction,
        double meanKl, double firstRatioMean, int flatGroups, int minibatchSteps, int skippedSteps,
        double meanResponseLength) {}
