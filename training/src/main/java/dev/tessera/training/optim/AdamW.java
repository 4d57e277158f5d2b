package dev.tessera.training.optim;

import dev.tessera.host.HostMemory;
import dev.tessera.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.BiPredicate;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * AdamW as PyTorch's {@code torch.optim.AdamW} (non-AMSGrad) computes it, per element and step t:
 * <pre>
 *   p ← p·(1 − lr·wd)                      (decaying parameters only)
 *   m ← β1·m + (1 − β1)·g
 *   v ← β2·v + (1 − β2)·g²
 *   p ← p − (lr / (1 − β1^t)) · m / (√v / √(1 − β2^t) + ε)
 * </pre>
 * Moments have the parameter's dtype. Float32 parameters on ND4J's CPU backend are updated by one
 * fused, multi-threaded float32 pass over their own memory ({@link AdamWUpdate#fused}); float64
 * parameters, other backends and {@code tessera.kernels=portable} use ND4J ops
 * ({@link AdamWUpdate#portable}).
 */
public final class AdamW extends BaseOptimizer {
    private final Map<String, Boolean> decays = new LinkedHashMap<>();
    private final Map<String, INDArray> m = new LinkedHashMap<>();
    private final Map<String, INDArray> v = new LinkedHashMap<>();
    private final AdamWConfig config;

    private static AdamWConfig checked(AdamWConfig config, BiPredicate<String, Parameter> decay) {
        if (config == null || decay == null) {
            throw new IllegalArgumentException("config and decay must not be null");
        }
        return config;
    }

    /** Decay per {@link AdamWConfig#decayRule()}. */
    public AdamW(Map<String, Parameter> params, AdamWConfig config) {
        this(params, config, (name, p) -> config.decayRule().decays(p));
    }

    /** Decay where {@code decay(name, parameter)} says so (overrides the config's rule). */
    public AdamW(Map<String, Parameter> params, AdamWConfig config, BiPredicate<String, Parameter> decay) {
        super(params, checked(config, decay).lr());
        this.config = config;
        for (Map.Entry<String, Parameter> e : this.params.entrySet()) {
            Parameter p = e.getValue();
            if (p.dtype() != DataType.FLOAT && p.dtype() != DataType.DOUBLE) {
                throw new IllegalArgumentException("parameter '" + e.getKey() + "' must be FLOAT or DOUBLE but is " + p.dtype());
            }
            decays.put(e.getKey(), decay.test(e.getKey(), p));
            m.put(e.getKey(), Nd4j.zeros(p.dtype(), p.shape()));
            v.put(e.getKey(), Nd4j.zeros(p.dtype(), p.shape()));
        }
    }

    /** Whether the named parameter decays. */
    public boolean decays(String name) {
        Boolean d = decays.get(name);
        if (d == null) {
            throw new IllegalArgumentException("no parameter named '" + name + "'");
        }
        return d;
    }

    @Override
    public void step() {
        step++;
        double b1 = config.beta1();
        double b2 = config.beta2();
        double stepSize = lr / (1 - Math.pow(b1, step));
        double bc2Sqrt = Math.sqrt(1 - Math.pow(b2, step));
        double eps = config.eps();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            Parameter p = e.getValue();
            if (p.grad() == null) {
                continue;
            }
            double shrink = decays.get(e.getKey()) ? 1 - lr * config.weightDecay() : 1;
            AdamWUpdate.Scalars s = new AdamWUpdate.Scalars(b1, b2, shrink, stepSize, bc2Sqrt, eps);
            INDArray mi = m.get(e.getKey());
            INDArray vi = v.get(e.getKey());
            if (HostChunks.fusable(p.data(), p.grad())) {
                AdamWUpdate.fused(p.data(), HostMemory.dense(p.grad()), mi, vi, s);
            } else {
                AdamWUpdate.portable(p.data(), p.grad(), mi, vi, s);
            }
        }
    }

    @Override
    public Map<String, INDArray> stateDict() {
        Map<String, INDArray> out = baseState();
        for (String name : params.keySet()) {
            out.put("exp_avg." + name, m.get(name).dup());
            out.put("exp_avg_sq." + name, v.get(name).dup());
        }
        return out;
    }

    /**
     * Restores a {@link #stateDict()}. Everything is checked first (names, shapes, a whole step
     * count, a finite lr, finite moments, exp_avg_sq ≥ 0), so a rejected state changes nothing.
     */
    @Override
    public void loadStateDict(Map<String, INDArray> state) {
        NamedParams.checkNoExtra(state, 2 + 2 * params.size());
        long s = NamedParams.stepOf(state);
        double l = NamedParams.lrOf(state);
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            long[] shape = e.getValue().shape();
            NamedParams.finite(state, "exp_avg." + e.getKey(), shape, false);
            NamedParams.finite(state, "exp_avg_sq." + e.getKey(), shape, true);
        }
        for (String name : params.keySet()) {
            INDArray target = m.get(name);
            target.assign(state.get("exp_avg." + name).castTo(target.dataType()));
            target = v.get(name);
            target.assign(state.get("exp_avg_sq." + name).castTo(target.dataType()));
        }
        step = s;
        setLearningRate(l);
    }
}
