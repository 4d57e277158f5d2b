package dev.tessera.training.optim;

import dev.tessera.core.Contiguous;
import dev.tessera.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** SGD with momentum; the formula is on {@link SgdConfig}. */
public final class Sgd implements Optimizer {
    private final Map<String, Parameter> params;
    private final Map<String, INDArray> buffers = new LinkedHashMap<>();
    private final SgdConfig config;
    private double lr;
    private long step;

    public Sgd(Map<String, Parameter> params, SgdConfig config) {
        if (config == null) {
            throw new IllegalArgumentException("config must not be null");
        }
        this.params = NamedParams.copyOf(params);
        this.config = config;
        this.lr = config.lr();
        for (Map.Entry<String, Parameter> e : this.params.entrySet()) {
            buffers.put(e.getKey(), Nd4j.zeros(e.getValue().dtype(), e.getValue().shape()));
        }
    }

    @Override
    public void step() {
        boolean first = step == 0;
        step++;
        double mu = config.momentum();
        double wd = config.weightDecay();
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            Parameter p = e.getValue();
            if (p.grad() == null) {
                continue;
            }
            FlatView pv = new FlatView(p.data());
            FlatView gv = new FlatView(Contiguous.of(p.grad()));
            FlatView bv = new FlatView(buffers.get(e.getKey()));
            for (int i = 0; i < pv.length; i++) {
                double x = pv.get(i);
                double d = gv.get(i) + wd * x;
                double update = d;
                if (mu > 0) {
                    double b = first ? d : mu * bv.get(i) + d;
                    bv.set(i, b);
                    update = config.nesterov() ? d + mu * b : b;
                }
                pv.set(i, x - lr * update);
            }
        }
    }

    @Override
    public void zeroGrad() {
        for (Parameter p : params.values()) {
            p.zeroGrad();
        }
    }

    @Override
    public double learningRate() {
        return lr;
    }

    @Override
    public void setLearningRate(double lr) {
        if (!(lr >= 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("lr must be finite and >= 0 but was " + lr);
        }
        this.lr = lr;
    }

    @Override
    public long stepCount() {
        return step;
    }

    @Override
    public Map<String, INDArray> stateDict() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put("step", Nd4j.scalar(DataType.LONG, step));
        out.put("lr", Nd4j.scalar(DataType.DOUBLE, lr));
        for (Map.Entry<String, INDArray> e : buffers.entrySet()) {
            out.put("momentum_buffer." + e.getKey(), e.getValue().dup());
        }
        return out;
    }

    @Override
    public void loadStateDict(Map<String, INDArray> state) {
        NamedParams.checkNoExtra(state, 2 + params.size());
        INDArray s = NamedParams.required(state, "step", new long[0]);
        INDArray l = NamedParams.required(state, "lr", new long[0]);
        for (Map.Entry<String, Parameter> e : params.entrySet()) {
            NamedParams.required(state, "momentum_buffer." + e.getKey(), e.getValue().shape());
        }
        for (Map.Entry<String, INDArray> e : buffers.entrySet()) {
            e.getValue().assign(state.get("momentum_buffer." + e.getKey()).castTo(e.getValue().dataType()));
        }
        step = s.getLong(0);
        setLearningRate(l.getDouble(0));
    }
}
