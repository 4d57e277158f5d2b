package dev.tessera.bench.training;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.ops.transforms.Transforms;

/**
 * AdamW written as PyTorch's single-tensor loop ({@code torch.optim.AdamW(foreach=False)}) with
 * ND4J ops, one parameter at a time, every parameter decayed: the naive reference of
 * {@link AdamWBenchmark}. Per element and step t:
 * p ← p·(1 − lr·wd); m ← β1·m + (1 − β1)·g; v ← β2·v + (1 − β2)·g²;
 * p ← p − lr/(1 − β1^t) · m / (√v / √(1 − β2^t) + ε).
 */
public final class NaiveAdamW {
    private final List<INDArray> params;
    private final List<INDArray> grads;
    private final List<INDArray> m = new ArrayList<>();
    private final List<INDArray> v = new ArrayList<>();
    private final double lr;
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private int step;

    /** Updates {@code params} in place from {@code grads} (same order and shapes). */
    public NaiveAdamW(List<INDArray> params, List<INDArray> grads, double lr, double beta1, double beta2, double eps,
            double weightDecay) {
        if (params.size() != grads.size()) {
            throw new IllegalArgumentException("params and grads must pair up but have " + params.size() + " and "
                    + grads.size() + " entries");
        }
        for (int i = 0; i < params.size(); i++) {
            if (!Arrays.equals(params.get(i).shape(), grads.get(i).shape())) {
                throw new IllegalArgumentException("grads[" + i + "] must have shape "
                        + Arrays.toString(params.get(i).shape()) + " but has "
                        + Arrays.toString(grads.get(i).shape()));
            }
            m.add(params.get(i).ulike().assign(0));
            v.add(params.get(i).ulike().assign(0));
        }
        this.params = params;
        this.grads = grads;
        this.lr = lr;
        this.beta1 = beta1;
        this.beta2 = beta2;
        this.eps = eps;
        this.weightDecay = weightDecay;
    }

    /** One step over every parameter. */
    public void step() {
        step++;
        double stepSize = lr / (1 - Math.pow(beta1, step));
        double bc2Sqrt = Math.sqrt(1 - Math.pow(beta2, step));
        for (int i = 0; i < params.size(); i++) {
            INDArray p = params.get(i);
            INDArray g = grads.get(i);
            p.muli(1 - lr * weightDecay);
            m.get(i).muli(beta1).addi(g.mul(1 - beta1));
            v.get(i).muli(beta2).addi(g.mul(g).muli(1 - beta2));
            INDArray denom = Transforms.sqrt(v.get(i), true).divi(bc2Sqrt).addi(eps);
            p.subi(m.get(i).div(denom).muli(stepSize));
        }
    }
}
