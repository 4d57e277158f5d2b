package dev.tessera.nn;

import dev.tessera.core.Rng;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.nd4j.linalg.api.ndarray.INDArray;

/**
 * A layer or model: owns named {@link Parameter}s and child modules, giving hierarchical names
 * such as {@code h.0.attn.c_attn.weight}, a train/eval mode, state-dict export and import, and the
 * named random sources (dropout masks) that a training checkpoint saves for an exact resume.
 * Subclasses register their parts in the constructor, in a fixed order, so that names and
 * iteration order are deterministic.
 */
public abstract class Module {
    private final Map<String, Parameter> parameters = new LinkedHashMap<>();
    private final Map<String, Module> children = new LinkedHashMap<>();
    private final Map<String, Rng> rngs = new LinkedHashMap<>();
    private boolean training = true;

    /** Registers a parameter under {@code name} (no dots) and returns it. */
    protected final Parameter registerParameter(String name, Parameter p) {
        checkName(name);
        if (p == null) {
            throw new IllegalArgumentException("parameter '" + name + "' must not be null");
        }
        parameters.put(name, p);
        return p;
    }

    /** Registers a child module under {@code name} (no dots) and returns it. */
    protected final <M extends Module> M registerModule(String name, M m) {
        checkName(name);
        if (m == null) {
            throw new IllegalArgumentException("module '" + name + "' must not be null");
        }
        children.put(name, m);
        return m;
    }

    /**
     * Registers a random source that the forward pass draws from in training (dropout masks) under
     * {@code name} (no dots) and returns it, so that {@link #namedRngs()} can hand its state to a
     * checkpoint.
     */
    protected final Rng registerRng(String name, Rng r) {
        checkName(name);
        if (r == null) {
            throw new IllegalArgumentException("rng '" + name + "' must not be null");
        }
        rngs.put(name, r);
        return r;
    }

    /**
     * Every registered random source with hierarchical names (e.g. {@code h.0.drop.rng},
     * {@code h.0.attn.dropout_rng}), depth first in registration order: the live generators, whose
     * {@link Rng#state()} a resumable training run saves and restores. Shared generators appear once.
     */
    public final Map<String, Rng> namedRngs() {
        Map<String, Rng> out = new LinkedHashMap<>();
        collectRngs("", out, Collections.newSetFromMap(new IdentityHashMap<>()));
        return out;
    }

    private void collectRngs(String prefix, Map<String, Rng> out, Set<Rng> seen) {
        for (Map.Entry<String, Rng> e : rngs.entrySet()) {
            if (seen.add(e.getValue())) {
                out.put(prefix + e.getKey(), e.getValue());
            }
        }
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().collectRngs(prefix + e.getKey() + ".", out, seen);
        }
    }

    private void checkName(String name) {
        if (name == null || name.isEmpty() || name.contains(".")) {
            throw new IllegalArgumentException("names must be non-empty and contain no '.', got '" + name + "'");
        }
        if (parameters.containsKey(name) || children.containsKey(name) || rngs.containsKey(name)) {
            throw new IllegalArgumentException("name '" + name + "' is already registered in " + getClass().getSimpleName());
        }
    }

    /** All parameters with hierarchical names, in registration order (depth first). Shared parameters appear once. */
    public final Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        Set<Parameter> seen = Collections.newSetFromMap(new IdentityHashMap<>());
        collect("", out, seen);
        return out;
    }

    private void collect(String prefix, Map<String, Parameter> out, Set<Parameter> seen) {
        for (Map.Entry<String, Parameter> e : parameters.entrySet()) {
            if (seen.add(e.getValue())) {
                out.put(prefix + e.getKey(), e.getValue());
            }
        }
        for (Map.Entry<String, Module> e : children.entrySet()) {
            e.getValue().collect(prefix + e.getKey() + ".", out, seen);
        }
    }

    /** All distinct parameters, in {@link #namedParameters()} order. */
    public final List<Parameter> parameters() {
        return new ArrayList<>(namedParameters().values());
    }

    /** Direct children by name. */
    public final Map<String, Module> children() {
        return Collections.unmodifiableMap(children);
    }

    /** Total number of scalar parameters (shared parameters counted once). */
    public final long parameterCount() {
        long n = 0;
        for (Parameter p : parameters()) {
            n += p.length();
        }
        return n;
    }

    /** Sets training mode here and in every descendant (dropout is active only in training mode). */
    public final void train(boolean on) {
        training = on;
        for (Module m : children.values()) {
            m.train(on);
        }
    }

    /** Shorthand for {@code train(false)}. */
    public final void eval() {
        train(false);
    }

    public final boolean isTraining() {
        return training;
    }

    /** Clears the gradient of every parameter. */
    public final void zeroGrad() {
        for (Parameter p : parameters()) {
            p.zeroGrad();
        }
    }

    /** The parameters' current values by hierarchical name (live arrays, not copies). */
    public final Map<String, INDArray> stateDict() {
        Map<String, INDArray> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : namedParameters().entrySet()) {
            out.put(e.getKey(), e.getValue().data());
        }
        return out;
    }

    /**
     * Copies values into the parameters. Shapes must match exactly; values are cast to each
     * parameter's dtype. With {@code strict}, missing and unexpected names are errors (listed in
     * the message); otherwise they are skipped and returned. Every entry is checked before the
     * first value is copied, so a rejected state dict leaves the module exactly as it was.
     *
     * @return the names in {@code state} that matched no parameter, followed by the parameter
     *     names that {@code state} lacked (empty when strict)
     */
    public final List<String> loadStateDict(Map<String, INDArray> state, boolean strict) {
        if (state == null) {
            throw new IllegalArgumentException("state dict must not be null");
        }
        Map<String, Parameter> named = namedParameters();
        Set<String> unexpected = new LinkedHashSet<>(state.keySet());
        unexpected.removeAll(named.keySet());
        Set<String> missing = new LinkedHashSet<>(named.keySet());
        missing.removeAll(state.keySet());
        if (strict && (!unexpected.isEmpty() || !missing.isEmpty())) {
            throw new IllegalArgumentException("state dict does not match " + getClass().getSimpleName()
                    + ": missing " + missing + ", unexpected " + unexpected);
        }
        // validate everything first: a failure half way through the copy would leave a model that is
        // part old, part new
        Map<Parameter, INDArray> checked = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : named.entrySet()) {
            if (!state.containsKey(e.getKey())) {
                continue;
            }
            INDArray v = state.get(e.getKey());
            if (v == null) {
                throw new IllegalArgumentException("state dict entry '" + e.getKey() + "' is null");
            }
            INDArray target = e.getValue().data();
            if (!Arrays.equals(v.shape(), target.shape())) {
                throw new IllegalArgumentException("state dict entry '" + e.getKey() + "' has shape "
                        + Arrays.toString(v.shape()) + " but the parameter has shape " + Arrays.toString(target.shape()));
            }
            if (!v.dataType().isNumerical()) {
                throw new IllegalArgumentException("state dict entry '" + e.getKey() + "' must be numeric but is "
                        + v.dataType());
            }
            checked.put(e.getValue(), v);
        }
        checked.forEach((p, v) -> p.data().assign(v.dataType() == p.dtype() ? v : v.castTo(p.dtype()))); // one cast at a time
        List<String> report = new ArrayList<>(unexpected);
        report.addAll(missing);
        return report;
    }
}
