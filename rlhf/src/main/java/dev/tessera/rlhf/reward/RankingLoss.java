package dev.tessera.rlhf.reward;

import dev.tessera.host.HostMemory;
import dev.tessera.core.Indexing;
import dev.tessera.core.Tensor;
import dev.tessera.rlhf.math.LogSigmoid;
import java.util.Arrays;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Reward-model ranking losses.
 *
 * <p>K-wise (InstructGPT, Ouyang et al. 2022, eq. 1): a prompt comes with K responses ranked
 * best first, 2 ≤ K ≤ 9; every one of its C(K, 2) pairs (w better than l) contributes, and the
 * prompt's pairs form one batch element:
 * <pre>
 *   loss = 1/G · Σ_prompts [ −1/C(K,2) · Σ_{w &lt; l} log σ(r_w − r_l) ]
 * </pre>
 * Pairwise with margin (Llama 2): loss = −mean log σ(r_chosen − r_rejected − margin).
 * Example: K = 3, rewards [2, 1, 0] → pairs (2−1, 2−0, 1−0), loss = (2·softplus(−1) + softplus(−2))/3 = 0.2530.
 */
public final class RankingLoss {
    /** InstructGPT's range of responses per prompt. */
    public static final int MIN_K = 2, MAX_K = 9;

    private RankingLoss() {}

    /** The loss (rank 0) and the fraction of pairs ordered correctly (r_w &gt; r_l), over {@code pairs} pairs. */
    public record Result(Tensor loss, double accuracy, int pairs) {}

    /**
     * @param rewards (R) scalar rewards of every response, grouped by prompt, each group best first
     * @param groupSizes K of each prompt, in order; Σ K = R, each 2 ≤ K ≤ 9
     */
    public static Result kWise(Tensor rewards, int[] groupSizes) {
        String fn = "RankingLoss.kWise";
        if (rewards.rank() != 1) {
            throw new IllegalArgumentException(fn + ": rewards must have rank 1 (R) but has shape " + Arrays.toString(rewards.shape()));
        }
        if (groupSizes.length == 0) {
            throw new IllegalArgumentException(fn + ": groupSizes must not be empty (an empty batch has no loss)");
        }
        int total = 0, pairs = 0;
        for (int g = 0; g < groupSizes.length; g++) {
            int k = groupSizes[g];
            if (k < MIN_K || k > MAX_K) {
                throw new IllegalArgumentException(fn + ": groupSizes[" + g + "] must be in [" + MIN_K + ", " + MAX_K
                        + "] but was " + k);
            }
            total += k;
            pairs += k * (k - 1) / 2;
        }
        if (total != rewards.size(0)) {
            throw new IllegalArgumentException(fn + ": groupSizes add up to " + total + " but rewards has " + rewards.size(0)
                    + " entries");
        }
        int[] winners = new int[pairs];
        int[] losers = new int[pairs];
        double[] weights = new double[pairs]; // 1/C(K,2) of the pair's prompt, over G prompts
        int p = 0, offset = 0;
        for (int k : groupSizes) {
            double w = 1.0 / (k * (k - 1) / 2.0) / groupSizes.length;
            for (int i = 0; i < k; i++) {
                for (int j = i + 1; j < k; j++) {
                    winners[p] = offset + i;
                    losers[p] = offset + j;
                    weights[p++] = w;
                }
            }
            offset += k;
        }
        Tensor diff = Indexing.indexSelect(rewards, 0, winners).sub(Indexing.indexSelect(rewards, 0, losers)); // (P)
        Tensor weight = Tensor.constant(Nd4j.create(weights, new long[] {pairs}, DataType.DOUBLE).castTo(rewards.dtype()));
        Tensor loss = LogSigmoid.of(diff).mul(weight).sum().neg();
        return new Result(loss, fractionPositive(diff.data()), pairs);
    }

    /**
     * Chosen/rejected pairs: −mean log σ(r_c − r_r − margin).
     *
     * @param chosen (N) rewards of the preferred responses
     * @param rejected (N) rewards of the other responses
     * @param margin (N) required reward gap per pair, or null for none
     */
    public static Result pairwise(Tensor chosen, Tensor rejected, INDArray margin) {
        String fn = "RankingLoss.pairwise";
        if (chosen.rank() != 1 || chosen.size(0) == 0) {
            throw new IllegalArgumentException(fn + ": chosen must have shape (N) with N >= 1 but has shape "
                    + Arrays.toString(chosen.shape()));
        }
        if (!Arrays.equals(chosen.shape(), rejected.shape())) {
            throw new IllegalArgumentException(fn + ": rejected must have chosen's shape " + Arrays.toString(chosen.shape())
                    + " but has shape " + Arrays.toString(rejected.shape()));
        }
        Tensor diff = chosen.sub(rejected); // (N)
        Tensor shifted = diff;
        if (margin != null) {
            if (!Arrays.equals(margin.shape(), chosen.shape())) {
                throw new IllegalArgumentException(fn + ": margin must have shape " + Arrays.toString(chosen.shape())
                        + " but has shape " + Arrays.toString(margin.shape()));
            }
            shifted = diff.sub(Tensor.constant(margin.castTo(chosen.dtype())));
        }
        Tensor loss = LogSigmoid.of(shifted).mean().neg();
        return new Result(loss, fractionPositive(diff.data()), (int) chosen.size(0));
    }

    private static double fractionPositive(INDArray diff) {
        double[] d = HostMemory.toDoubleArray(diff);
        int right = 0;
        for (double v : d) {
            right += v > 0 ? 1 : 0;
        }
        return d.length == 0 ? 0 : (double) right / d.length;
    }
}
