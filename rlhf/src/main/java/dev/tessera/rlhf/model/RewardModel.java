package dev.tessera.rlhf.model;

import dev.tessera.attention.model.CausalLm;
import dev.tessera.core.GradMode;
import dev.tessera.core.Indexing;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.rlhf.data.SequenceBatch;
import dev.tessera.rlhf.math.LogProbs;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;
import org.nd4j.linalg.indexing.NDArrayIndex;

/**
 * A scalar reward on top of a transformer, read from the trunk's final hidden states h_t by a
 * trained linear head (w, b) in one of two ways ({@link Readout}):
 * <pre>
 *   LAST_TOKEN:    r = w·h_last + b + offset                 (InstructGPT)
 *   RESPONSE_SUM:  r = Σ_{t ∈ response} (w·h_t + b) + offset
 *   RESPONSE_SUM_LM: r = Σ_{t ∈ response} (w·h_t + b + log p_trunk(y_t | y_&lt;t)) + offset
 * </pre>
 * where h_last is the state at the last non-padding token (the position that has seen the whole
 * prompt and response) and offset a constant set by {@link #normalise} so that a reference set of
 * sequences averages 0 (InstructGPT normalises its reward model this way before PPO).
 *
 * <p>The model counts the sequences it forwards, so tests can check that a K-wise batch runs each
 * response through the trunk exactly once.
 */
public final class RewardModel extends Module {
    /**
     * Where the head reads the trunk. Why two: at the last token a small trunk must gather the
     * verdict on every response token into one position, which two layers do poorly (on the
     * recipe's task, whether each answer digit is right). With {@code RESPONSE_SUM} each response
     * token judges itself, the position that has just read it and next to where the language model
     * predicted it, and the sum adds the verdicts up; the bias then acts as a per-token length term.
     * The prompt's positions are excluded: under causal attention they are the same for every
     * response to a prompt, so they could only add a per-prompt constant.
     *
     * <p>Beware: a sum depends on the response's length, and {@link #normalise} shifts only the
     * total, so when the per-token terms average below zero shorter answers score higher, a
     * direction PPO can exploit.
     */
    public enum Readout {
        /** w·h at the last real token. */
        LAST_TOKEN,
        /** Σ over the response tokens (end marker included) of w·h_t + b. */
        RESPONSE_SUM,
        /**
         * {@code RESPONSE_SUM} plus the trunk's own log-likelihood of the response tokens. Why: the
         * language-model head already scores "is this the token that belongs here" from the state
         * before the token; trained with the rest on the rankings, it becomes that per-token judge,
         * where a head on h_t would first have to relearn what the right token was.
         */
        RESPONSE_SUM_LM
    }

    private final CausalLm trunk;
    private final Linear head; // (C, 1)
    private final Readout readout;
    private double offset;
    private long sequencesForwarded;
    private long forwardCalls;

    /** A new head (N(0, 0.02²) weights, zero bias) on {@code trunk}, read at the last token; the trunk is used, not copied. */
    public RewardModel(CausalLm trunk, Rng rng) {
        this(trunk, rng, Readout.LAST_TOKEN);
    }

    /** A new head (N(0, 0.02²) weights, zero bias) on {@code trunk} with the given readout; the trunk is used, not copied. */
    public RewardModel(CausalLm trunk, Rng rng, Readout readout) {
        this(trunk, new Linear(trunk.hiddenSize(), 1, true, rng, trunk.dtype()), readout);
    }

    private RewardModel(CausalLm trunk, Linear head, Readout readout) {
        if (readout == null) {
            throw new IllegalArgumentException("RewardModel: readout must not be null");
        }
        this.trunk = trunk;
        registerModule("trunk", trunk.module());
        this.head = registerModule("head", head);
        this.readout = readout;
    }

    /**
     * The parameters a trainer optimises: the trunk's {@link CausalLm#trainableParameters()} (its
     * LoRA adapters alone for a {@link LoraLm} trunk) and the head, named as in
     * {@link #namedParameters()} ({@code trunk.…}, {@code head.…}).
     */
    public Map<String, Parameter> trainableParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        trunk.trainableParameters().forEach((k, v) -> out.put("trunk." + k, v));
        head.namedParameters().forEach((k, v) -> out.put("head." + k, v));
        return out;
    }

    /** Where the head reads the trunk. */
    public Readout readout() {
        return readout;
    }

    /**
     * Rewards (B) of right-padded sequences ids (B, T) whose real lengths are {@code lengths}: one
     * trunk forward for the whole batch. Only for {@link Readout#LAST_TOKEN}, which needs no
     * response mask; {@link #scores(SequenceBatch)} serves both readouts.
     */
    public Tensor scores(INDArray ids, int[] lengths) {
        if (readout != Readout.LAST_TOKEN) {
            throw new IllegalStateException("RewardModel.scores(ids, lengths): readout " + readout
                    + " needs the response mask; call scores(SequenceBatch)");
        }
        Tensor hidden = trunk.hidden(ids, null); // (B, T, C)
        forwardCalls++;
        sequencesForwarded += ids.size(0);
        return readLast(hidden, lengths);
    }

    /** Rewards (B) of a batch of conversations: one trunk forward, read as {@link #readout()} says. */
    public Tensor scores(SequenceBatch batch) {
        Tensor hidden = trunk.hidden(batch.ids(), null); // (B, T, C)
        forwardCalls++;
        sequencesForwarded += batch.batchSize();
        return read(hidden, batch);
    }

    /** The rewards (B) from the trunk's hidden states (B, T, C) of {@code batch}, as {@link #readout()} says. */
    public Tensor read(Tensor hidden, SequenceBatch batch) {
        return switch (readout) {
            case LAST_TOKEN -> readLast(hidden, batch.lengths());
            case RESPONSE_SUM -> readResponseSum(hidden, batch.responseMask());
            case RESPONSE_SUM_LM -> readResponseSum(hidden, batch.responseMask())
                    .add(responseLogLikelihood(hidden, batch.ids(), batch.responseMask()));
        };
    }

    /** Σ_t mask[b, t]·(w·h[b, t] + b) + offset: hidden (B, T, C), mask (B, T) 0/1 → (B). */
    public Tensor readResponseSum(Tensor hidden, INDArray responseMask) {
        long b = hidden.size(0), t = hidden.size(1);
        if (responseMask.rank() != 2 || responseMask.size(0) != b || responseMask.size(1) != t) {
            throw new IllegalArgumentException("RewardModel: responseMask must be (" + b + ", " + t + ") but is "
                    + Arrays.toString(responseMask.shape()));
        }
        Tensor perToken = head.forward(hidden).reshape(b, t); // (B, T)
        Tensor mask = Tensor.constant(responseMask.castTo(hidden.dtype())); // (B, T)
        return perToken.mul(mask).sum(false, 1).add(offset); // (B)
    }

    /** The head at each row's last real token: hidden (B, T, C) → (B). */
    public Tensor readLast(Tensor hidden, int[] lengths) {
        long b = hidden.size(0), t = hidden.size(1), c = hidden.size(2);
        if (lengths.length != b) {
            throw new IllegalArgumentException("RewardModel: lengths must have " + b + " entries (one per row) but has "
                    + lengths.length);
        }
        int[] rows = new int[(int) b];
        for (int i = 0; i < b; i++) {
            if (lengths[i] < 1 || lengths[i] > t) {
                throw new IllegalArgumentException("RewardModel: lengths[" + i + "] must be in [1, " + t + "] but was "
                        + lengths[i] + " (lengths " + Arrays.toString(lengths) + ")");
            }
            rows[i] = (int) (i * t + lengths[i] - 1);
        }
        Tensor last = Indexing.indexSelect(hidden.reshape(b * t, c), 0, rows); // (B, C)
        return head.forward(last).reshape(b).add(offset); // (B)
    }

    /** Σ_{t ∈ response} log p_trunk(y_t | y_&lt;t): hidden (B, T, C), ids and mask (B, T) → (B). */
    private Tensor responseLogLikelihood(Tensor hidden, INDArray ids, INDArray responseMask) {
        long t = ids.size(1);
        Tensor logp = LogProbs.ofSequence(trunk.logits(hidden), ids); // (B, T-1), column t scores token t+1
        INDArray target = responseMask.get(NDArrayIndex.all(), NDArrayIndex.interval(1, t)).castTo(hidden.dtype()).dup('c');
        return logp.mul(Tensor.constant(target)).sum(false, 1); // (B)
    }

    /**
     * Sets the offset so that the mean reward over the reference sequences is 0 (computed without
     * gradients, in chunks of {@code chunk} rows).
     *
     * @return the mean raw reward that was subtracted
     */
    public double normalise(INDArray ids, int[] lengths, int chunk) {
        if (readout != Readout.LAST_TOKEN) {
            throw new IllegalStateException("RewardModel.normalise(ids, lengths, chunk): readout " + readout
                    + " needs the response mask; call normalise(SequenceBatch, chunk)");
        }
        float[] noMask = new float[(int) ids.length()];
        return normalise(new SequenceBatch(ids, Nd4j.createFromArray(noMask).reshape(ids.shape()), lengths), chunk);
    }

    /**
     * Sets the offset so that the mean reward over the reference conversations is 0 (computed
     * without gradients, in chunks of {@code chunk} rows). A non-finite mean is an error and
     * leaves the offset as it was (as NaN it would make every later reward NaN).
     *
     * @return the mean raw reward that was subtracted
     */
    public double normalise(SequenceBatch reference, int chunk) {
        if (chunk < 1) {
            throw new IllegalArgumentException("RewardModel.normalise: chunk must be >= 1 but was " + chunk);
        }
        if (reference.batchSize() == 0) {
            throw new IllegalArgumentException("RewardModel.normalise: the reference set must not be empty");
        }
        double previous = offset;
        offset = 0;
        double sum = 0;
        int n = reference.batchSize();
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (int from = 0; from < n; from += chunk) {
                int[] rows = new int[Math.min(n, from + chunk) - from];
                for (int i = 0; i < rows.length; i++) {
                    rows[i] = from + i;
                }
                sum += scores(reference.select(rows)).data().sumNumber().doubleValue();
            }
        } catch (RuntimeException e) {
            offset = previous;
            throw e;
        }
        double mean = sum / n;
        if (!Double.isFinite(mean)) {
            offset = previous;
            throw new IllegalStateException("RewardModel.normalise: the mean reward over the " + n
                    + " reference sequences is " + mean + "; the offset stays " + previous);
        }
        offset = -mean;
        return mean;
    }

    /** The constant added to every reward (see {@link #normalise}). */
    public double offset() {
        return offset;
    }

    public CausalLm trunk() {
        return trunk;
    }

    public Linear head() {
        return head;
    }

    /** Sequences run through the trunk so far (each row of each {@link #scores} call counts once). */
    public long sequencesForwarded() {
        return sequencesForwarded;
    }

    /** Calls of {@link #scores} so far. */
    public long forwardCalls() {
        return forwardCalls;
    }

    /** An independent copy (trunk, head and offset), e.g. to initialise PPO's value model. */
    public RewardModel copy() {
        CausalLm t = trunk.copy();
        Linear h = new Linear(new Parameter(head.weight().data().dup()),
                new Parameter(head.bias().data().dup()));
        RewardModel out = new RewardModel(t, h, readout);
        out.offset = offset;
        return out;
    }
}
