package dev.tessera.training.optim;

import dev.tessera.core.Require;
import dev.tessera.nn.Parameter;
import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** What every optimizer keeps: the named parameters, the learning rate and the step count. */
abstract class BaseOptimizer implements Optimizer {
    /** The parameters by name, in a fixed order. */
    protected final Map<String, Parameter> params;
    /** The current learning rate (schedules set it every step). */
    protected double lr;
    /** Steps taken so far. */
    protected long step;

    BaseOptimizer(Map<String, Parameter> params, double lr) {
        this.params = NamedParams.copyOf(params);
        this.lr = lr;
    }

    @Override
    public final void zeroGrad() {
        for (Parameter p : params.values()) {
            p.zeroGrad();
        }
    }

    @Override
    public final double learningRate() {
        return lr;
    }

    @Override
    public final void setLearningRate(double lr) {
        Require.nonNegative("lr", lr);
        this.lr = lr;
    }

    @Override
    public final long stepCount() {
        return step;
    }

    /** A new state map holding "step" and "lr"; subclasses add their buffers. */
    protected final Map<String, INDArray> baseState() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        out.put("step", Nd4j.scalar(DataType.LONG, step));
        out.put("lr", Nd4j.scalar(DataType.DOUBLE, lr));
        return out;
    }
}
