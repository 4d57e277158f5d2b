package dev.tessera.rlhf.reward;

import dev.tessera.core.GradMode;
import dev.tessera.core.Tensor;
import dev.tessera.nn.Parameter;
import dev.tessera.rlhf.data.SequenceBatch;
import dev.tessera.rlhf.model.RewardModel;
import dev.tessera.rlhf.model.TrainSettings;
import dev.tessera.training.optim.AdamW;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Trains a {@link RewardModel} on K-wise rankings (InstructGPT): every response of every prompt
 * in the batch is laid out as one right-padded row and forwarded once; the C(K, 2) pairs of a
 * prompt then only index into those R scores, and {@link RankingLoss#kWise} averages them per
 * prompt. (Forwarding each pair separately would run each response K − 1 times and, as
 * InstructGPT notes, overfit: each comparison would be seen as an independent sample.)
 */
public final class RewardModelTrainer {
    private static final Logger LOG = LoggerFactory.getLogger(RewardModelTrainer.class);
    private final RewardModel model;
    private final TrainSettings settings;
    private final AdamW optimizer;
    private final int pad;
    private final Map<String, Parameter> params;
    private long steps;
    private long skipped;

    /**
     * @param pad the padding token id of the chat format
     */
    public RewardModelTrainer(RewardModel model, TrainSettings settings, int pad) {
        if (model == null || settings == null) {
            throw new IllegalArgumentException("RewardModelTrainer: model and settings must not be null");
        }
        this.model = model;
        this.settings = settings;
        this.pad = pad;
        this.params = model.trainableParameters(); // the trunk's adapters and the head for a LoRA trunk
        this.optimizer = settings.optimizer(params);
    }

    /** All responses of the groups as rows (prompt + response), group by group, best first. */
    public static SequenceBatch rows(List<RankedGroup> groups, int pad) {
        List<int[]> rows = new ArrayList<>();
        List<Integer> promptLengths = new ArrayList<>();
        for (RankedGroup g : groups) {
            for (int[] r : g.responses()) {
                int[] row = java.util.Arrays.copyOf(g.prompt(), g.prompt().length + r.length);
                System.arraycopy(r, 0, row, g.prompt().length, r.length);
                rows.add(row);
                promptLengths.add(g.prompt().length);
            }
        }
        return SequenceBatch.ofFormatted(rows.toArray(new int[0][]), promptLengths.stream().mapToInt(Integer::intValue).toArray(), pad);
    }

    static int[] groupSizes(List<RankedGroup> groups) {
        return groups.stream().mapToInt(RankedGroup::k).toArray();
    }

    /** The K-wise loss of a batch: one forward of all R responses, then all pairs per prompt. */
    public static RankingLoss.Result kWiseLoss(RewardModel model, List<RankedGroup> groups, int pad) {
        if (groups.isEmpty()) {
            throw new IllegalArgumentException("kWiseLoss: groups must not be empty");
        }
        SequenceBatch batch = rows(groups, pad);
        Tensor scores = model.scores(batch); // (R)
        return RankingLoss.kWise(scores, groupSizes(groups));
    }

    /**
     * Chosen/rejected pairs with an optional margin: the 2N responses are forwarded in one batch
     * (chosen rows first), then {@link RankingLoss#pairwise}.
     *
     * @param prompts formatted prompts (N)
     * @param chosen preferred responses as generated (N)
     * @param rejected the other responses (N)
     * @param margin (N) required reward gaps, or null
     */
    public static RankingLoss.Result pairwiseLoss(RewardModel model, List<int[]> prompts, List<int[]> chosen,
            List<int[]> rejected, org.nd4j.linalg.api.ndarray.INDArray margin, int pad) {
        int n = prompts.size();
        if (n == 0 || chosen.size() != n || rejected.size() != n) {
            throw new IllegalArgumentException("pairwiseLoss: need N >= 1 prompts and N chosen and N rejected responses, but got "
                    + n + ", " + chosen.size() + ", " + rejected.size());
        }
        int[][] rows = new int[2 * n][];
        int[] promptLengths = new int[2 * n];
        for (int i = 0; i < 2 * n; i++) {
            int[] p = prompts.get(i % n);
            int[] r = i < n ? chosen.get(i) : rejected.get(i - n);
            rows[i] = java.util.Arrays.copyOf(p, p.length + r.length);
            System.arraycopy(r, 0, rows[i], p.length, r.length);
            promptLengths[i] = p.length;
        }
        SequenceBatch batch = SequenceBatch.ofFormatted(rows, promptLengths, pad);
        Tensor scores = model.scores(batch); // (2N)
        return RankingLoss.pairwise(scores.slice(0, 0, n), scores.slice(0, n, 2 * n), margin);
    }

    /**
     * One optimiser step on a batch of ranked groups. A non-finite loss or gradient is handled as
     * {@link TrainSettings#onNonFinite()} says: an {@link IllegalStateException} naming the step,
     * or a skipped step.
     */
    public RankingLoss.Result step(List<RankedGroup> groups) {
        model.train(true);
        optimizer.zeroGrad();
        RankingLoss.Result r = kWiseLoss(model, groups, pad);
        double loss = r.loss().item();
        if (Double.isFinite(loss)) {
            r.loss().backward();
        }
        if (!settings.clipForStep("reward model step " + (steps + skipped + 1), loss, params)) {
            skipped++;
            return r;
        }
        optimizer.step();
        steps++;
        LOG.debug("reward model step {} loss {} pair accuracy {}", steps, loss, r.accuracy());
        return r;
    }

    /** Fraction of all ranked pairs (over all groups) that the model orders correctly, without gradients. */
    public static double pairwiseAccuracy(RewardModel model, List<RankedGroup> groups, int pad, int groupsPerBatch) {
        if (groupsPerBatch < 1) {
            throw new IllegalArgumentException("pairwiseAccuracy: groupsPerBatch must be >= 1 but was " + groupsPerBatch);
        }
        long right = 0, pairs = 0;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            for (int from = 0; from < groups.size(); from += groupsPerBatch) {
                List<RankedGroup> part = groups.subList(from, Math.min(groups.size(), from + groupsPerBatch));
                RankingLoss.Result r = kWiseLoss(model, part, pad);
                right += Math.round(r.accuracy() * r.pairs());
                pairs += r.pairs();
            }
        }
        return pairs == 0 ? Double.NaN : (double) right / pairs;
    }

    /** Optimiser steps taken. */
    public long steps() {
        return steps;
    }

    /** Steps skipped for a non-finite loss or gradient ({@code OnNonFinite.SKIP_STEP}). */
    public long skippedSteps() {
        return skipped;
    }
}
