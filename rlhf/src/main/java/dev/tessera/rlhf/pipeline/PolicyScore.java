package dev.tessera.rlhf.pipeline;

/**
 * How a policy does on the held-out prompts, by the hidden labeller.
 *
 * @param score mean labeller score of responses sampled at temperature 1 (the policy itself, the
 *     distribution PPO optimises and the KL is measured on), in [0, 1]
 * @param greedyScore mean labeller score of greedy (arg-max) responses
 * @param prefixRate fraction of sampled responses that start with "answer:"
 * @param closedRate fraction of sampled responses closed with the end marker
 * @param exactRate fraction of sampled responses with the full score 1
 * @param klToSft mean over the sampled responses of Σ_t (log π − log π_SFT) over response tokens,
 *     nats per response (0 for the SFT policy itself)
 */
public record PolicyScore(double score, double greedyScore, double prefixRate, double closedRate, double exactRate,
        double klToSft) {}
