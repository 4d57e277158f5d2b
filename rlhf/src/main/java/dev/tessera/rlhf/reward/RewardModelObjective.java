package dev.tessera.rlhf.reward;

import dev.tessera.core.GradMode;
import dev.tessera.core.Tensor;
import dev.tessera.core.Rng;
import dev.tessera.rlhf.data.SequenceBatch;
import dev.tessera.rlhf.data.ShuffledBatches;
import dev.tessera.rlhf.model.RewardModel;
import dev.tessera.training.loop.BatchLoss;
import dev.tessera.training.loop.MetricSum;
import dev.tessera.training.loop.Objective;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * The reward model's objective for the training module's {@code Trainer}: K-wise rankings
 * (InstructGPT). Every response of every prompt in the batch is laid out as one right-padded row
 * and forwarded once; the C(K, 2) pairs of a prompt then only index into those R scores, and
 * {@link RankingLoss#kWise} averages them per prompt. (Forwarding each pair separately would run
 * each response K − 1 times and, as InstructGPT notes, overfit: each comparison would be seen as
 * an independent sample.) The count is the batch's prompts (groups); the metric {@code accuracy}
 * is the fraction of its ranked pairs that the model orders correctly.
 */
public final class RewardModelObjective implements Objective<List<RankedGroup>> {
    private final RewardModel model;
    private final int pad;

    /**
     * @param pad the padding token id of the chat format
     */
    public RewardModelObjective(RewardModel model, int pad) {
        if (model == null) {
            throw new IllegalArgumentException("RewardModelObjective: model must not be null");
        }
        this.model = model;
        this.pad = pad;
    }

    /** Shuffled batches of {@code batchSize} groups, in epochs drawn by {@code rng}. */
    public static ShuffledBatches<RankedGroup, List<RankedGroup>> batches(List<RankedGroup> groups, int batchSize, Rng rng) {
        return new ShuffledBatches<>(groups, batchSize, rng, part -> part);
    }

    @Override
    public long count(List<RankedGroup> groups) {
        return groups.size();
    }

    @Override
    public BatchLoss compute(List<RankedGroup> groups, double normalizer) {
        RankingLoss.Result r = kWiseLoss(model, groups, pad);
        int n = groups.size();
        // kWise is the mean over the batch's groups; the trainer wants Σ over groups / normalizer
        Tensor loss = normalizer == n ? r.loss() : r.loss().mul(n / normalizer);
        return new BatchLoss(loss, r.loss().item() * n, n, Map.of("accuracy", MetricSum.ofMean(r.accuracy(), r.pairs())));
    }

    /** All responses of the groups as rows (prompt + response), group by group, best first. */
    public static SequenceBatch rows(List<RankedGroup> groups, int pad) {
        List<int[]> rows = new ArrayList<>();
        List<Integer> promptLengths = new ArrayList<>();
        for (RankedGroup g : groups) {
            for (int[] r : g.responses()) {
                int[] row = Arrays.copyOf(g.prompt(), g.prompt().length + r.length);
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
            List<int[]> rejected, INDArray margin, int pad) {
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
            rows[i] = Arrays.copyOf(p, p.length + r.length);
            System.arraycopy(r, 0, rows[i], p.length, r.length);
            promptLengths[i] = p.length;
        }
        SequenceBatch batch = SequenceBatch.ofFormatted(rows, promptLengths, pad);
        Tensor scores = model.scores(batch); // (2N)
        return RankingLoss.pairwise(scores.slice(0, 0, n), scores.slice(0, n, 2 * n), margin);
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
}
