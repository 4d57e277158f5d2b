package dev.tessera.rlhf.math;

import dev.tessera.core.Indexing;
import dev.tessera.core.ShapeOps;
import dev.tessera.core.Tensor;
import java.util.Arrays;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * Per-token log-probabilities of given tokens under a model's logits.
 *
 * <p>log p(y) = logits[y] − logΣexp(logits), computed as a gather minus a stable log-sum-exp so
 * that no (…, V) log-softmax tensor is kept in the graph; the backward is onehot(y) − softmax.
 */
public final class LogProbs {
    private LogProbs() {}

    /**
     * logits (..., V), tokens (...) integer in [0, V) → (...): log softmax(logits)[token].
     * <pre>{@code logits [[0, ln 3]], tokens [1] -> [ln(3/4)] = [-0.2877]}</pre>
     */
    public static Tensor ofTokens(Tensor logits, INDArray tokens) {
        long[] expected = Arrays.copyOf(logits.shape(), logits.rank() - 1);
        if (!Arrays.equals(tokens.shape(), expected)) {
            throw new IllegalArgumentException("LogProbs.ofTokens: tokens must have shape " + Arrays.toString(expected)
                    + " (logits' shape without the vocabulary dim) but has shape " + Arrays.toString(tokens.shape()));
        }
        Tensor picked = Indexing.gatherLast(logits, tokens); // (...)
        Tensor lse = logits.logSumExp(-1, false); // (...)
        return picked.sub(lse);
    }

    /**
     * Causal-LM alignment: logits (B, T, V) where position t predicts token t+1, ids (B, T) →
     * (B, T − 1) with out[b, t] = log p(ids[b, t+1] | ids[b, ≤t]). Column t of the result belongs to
     * token t+1, so a token mask (B, T) is aligned with {@code mask[:, 1:]}.
     */
    public static Tensor ofSequence(Tensor logits, INDArray ids) {
        if (logits.rank() != 3 || ids.rank() != 2 || logits.size(0) != ids.size(0) || logits.size(1) != ids.size(1)) {
            throw new IllegalArgumentException("LogProbs.ofSequence: logits must be (B, T, V) and ids (B, T) with equal B, T,"
                    + " but logits has shape " + Arrays.toString(logits.shape()) + " and ids " + Arrays.toString(ids.shape()));
        }
        long t = ids.size(1);
        if (t < 2) {
            throw new IllegalArgumentException("LogProbs.ofSequence: need T >= 2 tokens to score a next token, but T = " + t);
        }
        Tensor predicting = ShapeOps.slice(logits, 1, 0, t - 1); // (B, T-1, V)
        INDArray targets = ids.get(NDArrayIndex.all(), NDArrayIndex.interval(1, t)).dup('c'); // (B, T-1)
        return ofTokens(predicting, targets);
    }
}
