package dev.tessera.rlhf.model;

import dev.tessera.core.GradMode;
import dev.tessera.core.Indexing;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Module;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A scalar reward on top of a transformer: r = w·h_last + b + offset, where h_last is the
 * trunk's final hidden state at the last non-padding token of each sequence (the position that
 * has seen the whole prompt and response), w, b a trained linear head and offset a constant set
 * by {@link #normalise} so that a reference set of sequences averages 0 (InstructGPT normalises
 * its reward model this way before PPO).
 *
 * <p>The model counts the sequences it forwards, so tests can check that a K-wise batch runs each
 * response through the trunk exactly once.
 */
public final class RewardModel extends Module {
    private final CausalLm trunk;
    private final Linear head; // (C, 1)
    private double offset;
    private long sequencesForwarded;
    private long forwardCalls;

    /** A new head (N(0, 0.02²) weights, zero bias) on {@code trunk}; the trunk is used, not copied. */
    public RewardModel(CausalLm trunk, Rng rng) {
        this(trunk, new Linear(trunk.hiddenSize(), 1, true, rng, trunk.dtype()));
    }

    private RewardModel(CausalLm trunk, Linear head) {
        this.trunk = trunk;
        registerModule("trunk", trunk.module());
        this.head = registerModule("head", head);
    }

    /**
     * Rewards (B) of right-padded sequences ids (B, T) whose real lengths are {@code lengths}: one
     * trunk forward for the whole batch.
     */
    public Tensor scores(INDArray ids, int[] lengths) {
        Tensor hidden = trunk.hidden(ids); // (B, T, C)
        forwardCalls++;
        sequencesForwarded += ids.size(0);
        return readLast(hidden, lengths);
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

    /**
     * Sets the offset so that the mean reward over the reference sequences is 0 (computed without
     * gradients, in chunks of {@code chunk} rows).
     *
     * @return the mean raw reward that was subtracted
     */
    public double normalise(INDArray ids, int[] lengths, int chunk) {
        double previous = offset;
        offset = 0;
        double sum = 0;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (int from = 0; from < lengths.length; from += chunk) {
                int to = Math.min(lengths.length, from + chunk);
                INDArray part = ids.get(org.nd4j.linalg.indexing.NDArrayIndex.interval(from, to),
                        org.nd4j.linalg.indexing.NDArrayIndex.all()).dup('c');
                sum += scores(part, Arrays.copyOfRange(lengths, from, to)).data().sumNumber().doubleValue();
            }
        } catch (RuntimeException e) {
            offset = previous;
            throw e;
        }
        double mean = sum / lengths.length;
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
        Linear h = new Linear(new dev.tessera.nn.Parameter(head.weight().data().dup()),
                new dev.tessera.nn.Parameter(head.bias().data().dup()));
        RewardModel out = new RewardModel(t, h);
        out.offset = offset;
        return out;
    }
}
