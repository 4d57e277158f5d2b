package dev.tessera.training.loop;

/**
 * A metric as a sum and the weight it is averaged over, so that micro-batches, replicas and
 * validation batches combine exactly: the reported value is Σ sum / Σ weight (e.g. correct
 * predictions over valid tokens, or correctly ordered pairs over pairs).
 *
 * @param sum the batch's total, e.g. 7 correctly ordered pairs
 * @param weight what it is divided by, ≥ 0, e.g. 9 pairs
 */
public record MetricSum(double sum, double weight) {
    public MetricSum {
        if (!(weight >= 0) || Double.isInfinite(weight)) {
            throw new IllegalArgumentException("weight must be finite and >= 0 but was " + weight);
        }
    }

    /** A batch mean {@code mean} over {@code weight} items. */
    public static MetricSum ofMean(double mean, double weight) {
        return new MetricSum(mean * weight, weight);
    }

    /** This and {@code other} together. */
    public MetricSum plus(MetricSum other) {
        return new MetricSum(sum + other.sum, weight + other.weight);
    }

    /** sum / weight, NaN when the weight is 0. */
    public double mean() {
        return weight == 0 ? Double.NaN : sum / weight;
    }
}
