package dev.tessera.rlhf.ppo;

/**
 * What one PPO iteration did.
 *
 * @param iteration 1-based
 * @param meanScore mean reward-model score of the rollouts (before shaping)
 * @param klToReference mean over rollouts of Σ_t (log π − log π_ref) over response tokens (k1, nats per sequence)
 * @param beta the KL coefficient used for this iteration's rewards
 * @param policyLoss mean clipped-surrogate loss over the applied minibatch steps (this and the other
 *     means are NaN when every step was skipped)
 * @param valueLoss mean clipped value loss
 * @param entropy mean per-token entropy of the policy on response tokens
 * @param clipFraction mean fraction of clipped tokens
 * @param approxKl approximate KL to the rollout policy on the last minibatch step
 * @param firstRatioMin smallest probability ratio on the first minibatch of the first epoch (1 exactly)
 * @param firstRatioMax largest probability ratio there (1 exactly)
 * @param minibatchSteps optimiser steps taken
 * @param earlyStopped whether the KL bound stopped the iteration early
 * @param ptxLoss mean pretraining LM loss (NaN without PPO-ptx)
 * @param meanResponseLength mean generated tokens per rollout
 * @param skippedSteps minibatch steps skipped for a non-finite loss or gradient ({@code OnNonFinite.SKIP_STEP})
 */
public record PpoStats(int iteration, double meanScore, double klToReference, double beta, double policyLoss,
        double valueLoss, double entropy, double clipFraction, double approxKl, double firstRatioMin, double firstRatioMax,
        int minibatchSteps, boolean earlyStopped, double ptxLoss, double meanResponseLength, int skippedSteps) {}
