/**
 * Critic-free policy optimisation beside PPO: GRPO (group-normalised advantages, KL to the
 * reference inside the loss) and RLOO (leave-one-out baseline), with {@link
 * dev.tessera.rlhf.grpo.GroupPolicyTrainer} reusing PPO's rollouts, clipped surrogate, KL
 * estimators and optimiser settings.
 */
package dev.tessera.rlhf.grpo;
