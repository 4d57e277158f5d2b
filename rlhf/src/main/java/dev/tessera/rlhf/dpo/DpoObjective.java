package dev.tessera.rlhf.dpo;

import dev.tessera.host.HostMemory;
import dev.tessera.core.GradMode;
import dev.tessera.core.Tensor;
import dev.tessera.core.Rng;
import dev.tessera.rlhf.data.SequenceBatch;
import dev.tessera.rlhf.math.LogProbs;
import dev.tessera.rlhf.math.Masked;
import dev.tessera.attention.model.CausalLm;
import dev.tessera.rlhf.model.SharedParameters;
import dev.tessera.rlhf.data.ShuffledBatches;
import dev.tessera.training.loop.BatchLoss;
import dev.tessera.training.loop.MetricSum;
import dev.tessera.training.loop.Objective;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Direct preference optimisation over a fixed set of {@link PreferencePair}s, as an objective of
 * the training module's {@code Trainer}; a batch is the indices of its pairs. The frozen
 * reference model's sequence log-probs are computed once, at construction (they never change),
 * so each step forwards only the policy: chosen and rejected rows of the batch in one batch. The
 * count is the batch's pairs; the metrics are the implicit-reward {@code accuracy} (chosen above
 * rejected), {@code margin} β·h and the mean implicit rewards {@code chosen_reward} and
 * {@code rejected_reward}.
 */
public final class DpoObjective implements Objective<int[]> {
    private final CausalLm policy;
    private final List<PreferencePair> pairs;
    private final double beta;
    private final double labelSmoothing;
    private final int pad;
    private final double[] refChosen;
    private final double[] refRejected;
    private long referenceForwards;

    /**
     * @param policy the model being optimised (initialised from the SFT model)
     * @param reference the frozen SFT model, run once over all pairs here
     * @param beta DPO β, typical 0.1
     * @param labelSmoothing ε in [0, 0.5), 0 for plain DPO
     * @param chunk pairs per reference forward
     */
    public DpoObjective(CausalLm policy, CausalLm reference, List<PreferencePair> pairs, double beta, double labelSmoothing,
            int pad, int chunk) {
        if (policy == null || reference == null || pairs == null) {
            throw new IllegalArgumentException("DpoObjective: policy, reference and pairs must not be null");
        }
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("DpoObjective: pairs must not be empty");
        }
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("DpoObjective: beta must be finite and > 0 but was " + beta);
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
            throw new IllegalArgumentException("DpoObjective: labelSmoothing must be in [0, 0.5) but was " + labelSmoothing);
        }
        if (chunk < 1) {
            throw new IllegalArgumentException("DpoObjective: chunk must be >= 1 pairs per reference forward but was " + chunk);
        }
        // a LoRA policy's base() passes: it shares the frozen base weights, none of the trained adapters
        SharedParameters.requireNone("DpoObjective", "reference", reference.module(), "policy",
                policy.trainableParameters());
        this.policy = policy;
        this.pairs = List.copyOf(pairs);
        this.beta = beta;
        this.labelSmoothing = labelSmoothing;
        this.pad = pad;
        this.refChosen = new double[pairs.size()];
        this.refRejected = new double[pairs.size()];
        reference.module().eval();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (int from = 0; from < pairs.size(); from += chunk) {
                int[] idx = range(from, Math.min(pairs.size(), from + chunk));
                double[] both = HostMemory.toDoubleArray(sequenceLogProbs(reference, idx).data());
                referenceForwards++;
                for (int i = 0; i < idx.length; i++) {
                    refChosen[idx[i]] = both[i];
                    refRejected[idx[i]] = both[idx.length + i];
                    if (!Double.isFinite(both[i]) || !Double.isFinite(both[idx.length + i])) {
                        // every step on this pair would have a non-finite loss: say which pair, now
                        throw new IllegalArgumentException("DpoObjective: the reference gives pair " + idx[i]
                                + " a non-finite log-probability (chosen " + both[i] + ", rejected "
                                + both[idx.length + i] + ")");
                    }
                }
            }
        }
    }

    /** Σ log p(response | prompt) of the chosen rows of {@code idx} followed by the rejected rows: (2n). */
    private Tensor sequenceLogProbs(CausalLm model, int[] idx) {
        int n = idx.length;
        int[][] rows = new int[2 * n][];
        int[] promptLengths = new int[2 * n];
        for (int i = 0; i < 2 * n; i++) {
            PreferencePair p = pairs.get(idx[i % n]);
            int[] r = i < n ? p.chosen() : p.rejected();
            rows[i] = Arrays.copyOf(p.prompt(), p.prompt().length + r.length);
            System.arraycopy(r, 0, rows[i], p.prompt().length, r.length);
            promptLengths[i] = p.prompt().length;
        }
        SequenceBatch batch = SequenceBatch.ofFormatted(rows, promptLengths, pad);
        Tensor logp = LogProbs.ofSequence(model.forward(batch.ids()), batch.ids()); // (2n, T-1)
        return Masked.sum(logp, Tensor.constant(batch.targetMask(logp.dtype())), 1); // (2n)
    }

    /** The DPO loss of pairs {@code idx} under the current policy (differentiable). */
    public DpoLoss.Result loss(int[] idx) {
        checkIndices(idx);
        int n = idx.length;
        Tensor both = sequenceLogProbs(policy, idx);
        DataType dt = both.dtype();
        double[] rc = new double[n], rr = new double[n];
        for (int i = 0; i < n; i++) {
            rc[i] = refChosen[idx[i]];
            rr[i] = refRejected[idx[i]];
        }
        return DpoLoss.sigmoid(both.slice(0, 0, n), both.slice(0, n, 2 * n),
                Tensor.constant(Nd4j.createFromArray(rc).castTo(dt)), Tensor.constant(Nd4j.createFromArray(rr).castTo(dt)),
                beta, labelSmoothing);
    }

    /** Shuffled batches of {@code batchSize} pair indices over all pairs, in epochs drawn by {@code rng}. */
    public ShuffledBatches<Integer, int[]> batches(int batchSize, Rng rng) {
        return new ShuffledBatches<>(ShuffledBatches.indices(pairs.size()), batchSize, rng,
                part -> part.stream().mapToInt(Integer::intValue).toArray());
    }

    @Override
    public long count(int[] idx) {
        checkIndices(idx);
        return idx.length;
    }

    @Override
    public BatchLoss compute(int[] idx, double normalizer) {
        DpoLoss.Result r = loss(idx);
        int n = idx.length;
        // DpoLoss is the mean over the batch's pairs; the trainer wants Σ over pairs / normalizer
        Tensor loss = normalizer == n ? r.loss() : r.loss().mul(n / normalizer);
        Map<String, MetricSum> metrics = new LinkedHashMap<>();
        metrics.put("accuracy", MetricSum.ofMean(r.accuracy(), n));
        metrics.put("margin", MetricSum.ofMean(r.margin(), n));
        metrics.put("chosen_reward", MetricSum.ofMean(r.chosenReward(), n));
        metrics.put("rejected_reward", MetricSum.ofMean(r.rejectedReward(), n));
        return new BatchLoss(loss, r.loss().item() * n, n, metrics);
    }

    private void checkIndices(int[] idx) {
        if (idx == null || idx.length == 0) {
            throw new IllegalArgumentException("DpoObjective: idx must name at least one pair");
        }
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= pairs.size()) {
                throw new IllegalArgumentException("DpoObjective: idx[" + i + "] must be a pair index in [0, " + pairs.size()
                        + ") but was " + idx[i]);
            }
        }
    }

    /** Reference forwards run so far (all at construction). */
    public long referenceForwards() {
        return referenceForwards;
    }

    public int size() {
        return pairs.size();
    }

    private static int[] range(int from, int to) {
        int[] r = new int[to - from];
        for (int i = 0; i < r.length; i++) {
            r[i] = from + i;
        }
        return r;
    }
}
