package dev.tessera.rlhf.ppo;

import dev.tessera.rlhf.data.SequenceBatch;
import java.util.List;

/**
 * Sampled conversations of one PPO iteration.
 *
 * @param prompts formatted prompts (B), ending with the assistant marker
 * @param responses generated responses (B), with the end marker where the model produced one
 * @param batch row i = prompts[i] + responses[i], right-padded; responseMask marks the responses
 */
public record Rollouts(List<int[]> prompts, List<int[]> responses, SequenceBatch batch) {}
