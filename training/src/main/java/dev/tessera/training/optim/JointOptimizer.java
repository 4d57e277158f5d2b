package dev.tessera.training.optim;

import java.util.LinkedHashMap;
import java.util.Map;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * Several optimizers over disjoint parameter sets, stepped, cleared and checkpointed as one (e.g.
 * PPO's policy and critic, each with its own learning rate). The state of part {@code p} is saved
 * under {@code p/} + its own names. The learning rate of the whole is the first part's; each
 * part's own rate is set on the part.
 */
public final class JointOptimizer implements Optimizer {
    private final Map<String, Optimizer> parts;

    /** @param parts named optimizers, in a fixed order; names must not contain '/' */
    public JointOptimizer(Map<String, Optimizer> parts) {
        if (parts == null || parts.isEmpty()) {
            throw new IllegalArgumentException("parts must name at least one optimizer");
        }
        for (Map.Entry<String, Optimizer> e : parts.entrySet()) {
            if (e.getKey() == null || e.getKey().isEmpty() || e.getKey().contains("/") || e.getValue() == null) {
                throw new IllegalArgumentException("parts must map names without '/' to optimizers but has '" + e.getKey()
                        + "' -> " + e.getValue());
            }
        }
        this.parts = new LinkedHashMap<>(parts);
    }

    @Override
    public void step() {
        parts.values().forEach(Optimizer::step);
    }

    @Override
    public void zeroGrad() {
        parts.values().forEach(Optimizer::zeroGrad);
    }

    @Override
    public double learningRate() {
        return parts.values().iterator().next().learningRate();
    }

    /** Sets every part's learning rate to {@code lr}. */
    @Override
    public void setLearningRate(double lr) {
        parts.values().forEach(o -> o.setLearningRate(lr));
    }

    @Override
    public long stepCount() {
        return parts.values().iterator().next().stepCount();
    }

    @Override
    public Map<String, INDArray> stateDict() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        parts.forEach((name, o) -> o.stateDict().forEach((k, v) -> out.put(name + "/" + k, v)));
        return out;
    }

    /**
     * Restores a {@link #stateDict()}. Every name must belong to a part; a part that rejects its
     * share leaves the parts restored before it changed, so restore a trainer's state all or
     * nothing one level up (as {@code Trainer.restore} does).
     */
    @Override
    public void loadStateDict(Map<String, INDArray> state) {
        Map<String, Map<String, INDArray>> split = new LinkedHashMap<>();
        parts.keySet().forEach(name -> split.put(name, new LinkedHashMap<>()));
        for (Map.Entry<String, INDArray> e : state.entrySet()) {
            int slash = e.getKey().indexOf('/');
            Map<String, INDArray> part = slash < 0 ? null : split.get(e.getKey().substring(0, slash));
            if (part == null) {
                throw new IllegalArgumentException("optimizer state '" + e.getKey() + "' belongs to none of the parts "
                        + parts.keySet());
            }
            part.put(e.getKey().substring(slash + 1), e.getValue());
        }
        parts.forEach((name, o) -> o.loadStateDict(split.get(name)));
    }
}
