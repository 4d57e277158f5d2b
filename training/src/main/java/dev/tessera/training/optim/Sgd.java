package dev.tessera.training.optim;

import dev.tessera.core.Require;
import dev.tessera.host.HostMemory;
import dev.tessera.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * SGD with momentum; the formula is on {@link SgdConfig}. Float32 parameters on ND4J's CPU backend
 * are updated by one fused, multi-threaded pass over their own memory ({@link SgdUpdate#fused});
 * float64 parameters, other backends and {@code tessera.kernels=portable} use ND4J ops.
 */
public final class Sgd extends BaseOptimizer {
    private final Map<String, INDArray> buffers = new LinkedHashMap<>();
    private final SgdConfig config;

    public Sgd(Map<String, Parameter> params, SgdConfig config) {
        super(params, checked(config).lr());
        this.config = config;
        for (Map.Entry<String, Parameter> e : this.params.entrySet()) {
            buffers.put(e.getKey(), Nd4j.zeros(e.getValue().dtype(), e.getValue().shape()));
        }
    }

    private static SgdConfig checked(SgdConfig config) {
        Require.nonNull("config", config);
        return config;
    }

    @Override
    public void step() {
        boolean first = step == 0;
        step++;
        double mu = config.momentum();
        double wd = config.weightDecay();
        SgdUpdate.Scalars s = new SgdUpdate.Scalars(lr, mu, wd, config.nesterov(), first);
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            Parameter p = e.getValue();
            if (p.grad() == null) {
                continue;
            }
            INDArray buf = buffers.get(e.getKey());
            if (HostChunks.fusable(p.data(), p.grad())) {
                SgdUpdate.fused(p.data(), HostMemory.dense(p.grad()), buf, s);
            } else {
                SgdUpdate.portable(p.data(), p.grad(), buf, s);
            }
        }
    }

    @Override
    public Map<String, INDArray> stateDict() {
        Map<String, INDArray> out = baseState();
        for (Map.Entry<String, INDArray> e : buffers.entrySet()) {
            out.put("momentum_buffer." + e.getKey(), e.getValue().dup());
        }
        return out;
    }

    /**
     * Restores a {@link #stateDict()}. Everything is checked first (names, shapes, a whole step
     * count, a finite lr, finite buffers), so a rejected state changes nothing.
     */
    @Override
    public void loadStateDict(Map<String, INDArray> state) {
        NamedParams.checkNoExtra(state, 2 + params.size());
        long s = NamedParams.stepOf(state);
        double l = NamedParams.lrOf(state);
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            NamedParams.finite(state, "momentum_buffer." + e.getKey(), e.getValue().shape(), false);
        }
        for (Map.Entry<String, INDArray> e : buffers.entrySet()) {
            e.getValue().assign(state.get("momentum_buffer." + e.getKey()).castTo(e.getValue().dataType()));
        }
        step = s;
        setLearningRate(l);
    }
}
