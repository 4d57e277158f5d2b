package dev.tessera.training.loop;

/**
 * A validation pass.
 *
 * @param step steps completed when it ran
 * @param loss mean next-token (or masked-token) NLL per valid token, nats
 * @param accuracy fraction of valid tokens whose arg-max prediction is the target
 * @param tokens valid tokens evaluated
 */
public record EvalMetrics(long step, double loss, double accuracy, long tokens) {
    public double perplexity() {
        return Math.exp(loss);
    }
}
