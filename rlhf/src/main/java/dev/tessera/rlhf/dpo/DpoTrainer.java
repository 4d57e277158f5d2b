package dev.tessera.rlhf.dpo;

import dev.tessera.host.HostMemory;
import dev.tessera.core.GradMode;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Parameter;
import dev.tessera.rlhf.data.SequenceBatch;
import dev.tessera.rlhf.math.LogProbs;
import dev.tessera.rlhf.math.Masked;
import dev.tessera.rlhf.model.CausalLm;
import dev.tessera.rlhf.model.SharedParameters;
import dev.tessera.rlhf.model.TrainSettings;
import dev.tessera.training.optim.AdamW;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.factory.Nd4j;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Direct preference optimisation over a fixed set of {@link PreferencePair}s. The frozen
 * reference model's sequence log-probs are computed once, at construction (they never change),
 * so each step forwards only the policy: chosen and rejected rows of the minibatch in one batch.
 */
public final class DpoTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(DpoTrainer.class);
    private final CausalLm policy;
    private final List<PreferencePair> pairs;
    private final double beta;
    private final double labelSmoothing;
    private final TrainSettings settings;
    private final int pad;
    private final AdamW optimizer;
    private final double[] refChosen;
    private final double[] refRejected;
    private final Map<String, Parameter> params;
    private long referenceForwards;
    private long steps;
    private long skipped;

    /**
     * @param policy the model being optimised (initialised from the SFT model)
     * @param reference the frozen SFT model, run once over all pairs here
     * @param beta DPO β, typical 0.1
     * @param labelSmoothing ε in [0, 0.5), 0 for plain DPO
     * @param chunk pairs per reference forward
     */
    public DpoTrainer(CausalLm policy, CausalLm reference, List<PreferencePair> pairs, double beta, double labelSmoothing,
            TrainSettings settings, int pad, int chunk) {
        if (policy == null || reference == null || pairs == null || settings == null) {
            throw new IllegalArgumentException("DpoTrainer: policy, reference, pairs and settings must not be null");
        }
        if (pairs.isEmpty()) {
            throw new IllegalArgumentException("DpoTrainer: pairs must not be empty");
        }
        if (!(beta > 0) || Double.isInfinite(beta)) {
            throw new IllegalArgumentException("DpoTrainer: beta must be finite and > 0 but was " + beta);
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
            throw new IllegalArgumentException("DpoTrainer: labelSmoothing must be in [0, 0.5) but was " + labelSmoothing);
        }
        if (chunk < 1) {
            throw new IllegalArgumentException("DpoTrainer: chunk must be >= 1 pairs per reference forward but was " + chunk);
        }
        SharedParameters.requireNone("DpoTrainer", "reference", reference.module(), "policy",
                policy.trainableParameters());
        this.policy = policy;
        this.pairs = List.copyOf(pairs);
        this.beta = beta;
        this.labelSmoothing = labelSmoothing;
        this.settings = settings;
        this.pad = pad;
        this.params = policy.trainableParameters(); // the adapters alone for a LoRA policy
        this.optimizer = settings.optimizer(params);
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
                        throw new IllegalArgumentException("DpoTrainer: the reference gives pair " + idx[i]
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

    /**
     * One optimiser step on pairs {@code idx}. A non-finite loss or gradient is handled as
     * {@link TrainSettings#onNonFinite()} says: an {@link IllegalStateException} naming the step,
     * or a skipped step.
     */
    public DpoLoss.Result step(int[] idx) {
        checkIndices(idx);
        policy.module().train(true);
        optimizer.zeroGrad();
        DpoLoss.Result r = loss(idx);
        double loss = r.loss().item();
        if (Double.isFinite(loss)) {
            r.loss().backward();
        }
        if (!settings.clipForStep("DPO step " + (steps + skipped + 1), loss, params)) {
            skipped++;
            return r;
        }
        optimizer.step();
        steps++;
        LOG.debug("dpo step {} loss {} reward accuracy {} margin {}", steps, loss, r.accuracy(), r.margin());
        return r;
    }

    /** Optimiser steps taken. */
    public long steps() {
        return steps;
    }

    /** Steps skipped for a non-finite loss or gradient ({@code OnNonFinite.SKIP_STEP}). */
    public long skippedSteps() {
        return skipped;
    }

    private void checkIndices(int[] idx) {
        if (idx == null || idx.length == 0) {
            throw new IllegalArgumentException("DpoTrainer: idx must name at least one pair");
        }
        for (int i = 0; i < idx.length; i++) {
            if (idx[i] < 0 || idx[i] >= pairs.size()) {
                throw new IllegalArgumentException("DpoTrainer: idx[" + i + "] must be a pair index in [0, " + pairs.size()
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
