package dev.tessera.rlhf.dpo;

import dev.tessera.host.HostMemory;
import dev.tessera.core.Tensor;
import dev.tessera.rlhf.math.LogSigmoid;
import java.util.Arrays;

/**
 * Direct preference optimisation, sigmoid loss (Rafailov et al. 2023, eq. 7), with optional
 * label smoothing ε (conservative DPO):
 * <pre>
 *   h    = (log π(y_c) − log π_ref(y_c)) − (log π(y_r) − log π_ref(y_r))
 *   loss = mean[ −(1 − ε)·log σ(β·h) − ε·log σ(−β·h) ]
 * </pre>
 * where each log π(y) is the sum of the response's token log-probs. Implicit rewards
 * β·(log π − log π_ref) are reported for chosen and rejected. Example: β = 0.1, h = 0 → ln 2.
 */
public final class DpoLoss {
    private DpoLoss() {}

    /** The loss and diagnostics: mean implicit rewards, reward accuracy (chosen &gt; rejected), mean margin β·h. */
    public record Result(Tensor loss, double chosenReward, double rejectedReward, double accuracy, double margin) {}

    /**
     * @param policyChosen (N) Σ log π of chosen responses (requires grad)
     * @param policyRejected (N) Σ log π of rejected responses (requires grad)
     * @param refChosen (N) Σ log π_ref of chosen responses (constant)
     * @param refRejected (N) Σ log π_ref of rejected responses (constant)
     * @param beta β &gt; 0, typically 0.1
     * @param labelSmoothing ε in [0, 0.5), 0 for plain DPO
     */
    public static Result sigmoid(Tensor policyChosen, Tensor policyRejected, Tensor refChosen, Tensor refRejected,
            double beta, double labelSmoothing) {
        String fn = "DpoLoss.sigmoid";
        if (policyChosen.rank() != 1 || policyChosen.size(0) == 0) {
            throw new IllegalArgumentException(fn + ": policyChosen must have shape (N), N >= 1, but has shape "
                    + Arrays.toString(policyChosen.shape()));
        }
        for (Tensor t : new Tensor[] {policyRejected, refChosen, refRejected}) {
            if (!Arrays.equals(t.shape(), policyChosen.shape())) {
                throw new IllegalArgumentException(fn + ": all four log-prob inputs must have shape "
                        + Arrays.toString(policyChosen.shape()) + " but one has shape " + Arrays.toString(t.shape()));
            }
        }
        if (!(beta > 0) || !Double.isFinite(beta)) {
            throw new IllegalArgumentException(fn + ": beta must be finite and > 0 but was " + beta);
        }
        if (!(labelSmoothing >= 0 && labelSmoothing < 0.5)) {
            throw new IllegalArgumentException(fn + ": labelSmoothing must be in [0, 0.5) but was " + labelSmoothing);
        }
        Tensor chosenLogRatio = policyChosen.sub(refChosen); // (N)
        Tensor rejectedLogRatio = policyRejected.sub(refRejected); // (N)
        Tensor logits = chosenLogRatio.sub(rejectedLogRatio).mul(beta); // β·h, (N)
        Tensor loss = LogSigmoid.of(logits).mul(-(1 - labelSmoothing));
        if (labelSmoothing > 0) {
            loss = loss.sub(LogSigmoid.of(logits.neg()).mul(labelSmoothing));
        }
        double[] c = HostMemory.toDoubleArray(chosenLogRatio.data());
        double[] r = HostMemory.toDoubleArray(rejectedLogRatio.data());
        double cs = 0, rs = 0, acc = 0;
        for (int i = 0; i < c.length; i++) {
            cs += beta * c[i];
            rs += beta * r[i];
            acc += c[i] > r[i] ? 1 : 0;
        }
        int n = c.length;
        return new Result(loss.mean(), cs / n, rs / n, acc / n, (cs - rs) / n);
    }
}
