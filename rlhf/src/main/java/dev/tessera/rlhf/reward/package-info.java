/**
 * Reward modelling: InstructGPT's K-wise ranking loss and the pairwise loss with margin, ranked data, and the trainer that forwards each response once.
 */
package dev.tessera.rlhf.reward;
