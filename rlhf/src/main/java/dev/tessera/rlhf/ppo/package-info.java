/**
 * PPO for RLHF: GAE, the clipped policy and value losses, per-token rewards with the KL penalty, KL controllers, and {@link dev.tessera.rlhf.ppo.PpoTrainer}, which puts them together with rollouts, a frozen reference model, a value model and PPO-ptx.
 */
package dev.tessera.rlhf.ppo;
