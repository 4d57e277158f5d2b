package dev.tessera.nn.lora;

import dev.tessera.core.Rng;
import dev.tessera.io.SafeTensors;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Low-rank adapters (LoRA) attached to the chosen {@link Linear} layers of a model: each adapted
 * layer computes x·W + b + (α/r)·dropout(x)·A·B, with W and b frozen (they take no gradient and
 * are not among {@link #namedParameters()}, so an optimiser built over those trains the adapters
 * only).
 *
 * <pre>{@code
 * Lora lora = Lora.attach(model, new LoraConfig(8, 16, 0.05, List.of("c_attn")), rng);
 * AdamW opt = new AdamW(lora.namedParameters(), ...);   // adapters only
 * try (Lora.Off off = lora.off()) { ... }                // the base model, no second copy
 * lora.merge();   // W += (α/r)·A·B: plain linear layers' speed; unmerge() takes it back out
 * lora.save(path); Lora.load(otherCopyOfTheBase, path, rng);
 * }</pre>
 *
 * <p>Names: {@link #namedParameters()} gives {@code <path>.lora_A} (in, r) and
 * {@code <path>.lora_B} (r, out) in Tessera's input-major layout. {@link #save} writes PEFT's
 * file layout: {@code base_model.model.<path>.lora_A.weight} (r, in) and {@code ….lora_B.weight}
 * (out, r), with r, α, dropout and the targets in the safetensors metadata.
 *
 * <p>The on/off switch and the merged state are plain fields: not for use from several threads.
 */
public final class Lora {
    private static final Logger LOG = LoggerFactory.getLogger(Lora.class);
    /** Prefix of PEFT's adapter tensor names. */
    public static final String PEFT_PREFIX = "base_model.model.";

    private final LoraConfig config;
    private final Map<String, LoraAdapter> adapters; // by module path, in model order
    private boolean enabled = true;
    private boolean merged;
    private boolean removed;

    private Lora(LoraConfig config) {
        this.config = config;
        this.adapters = new LinkedHashMap<>();
    }

    /**
     * Attaches fresh adapters to every linear layer of {@code model} whose path matches one of
     * {@code config}'s targets.
     *
     * @throws IllegalArgumentException when a target matches no linear layer (the message lists
     *     the model's linear layers), or a matched layer already has an adapter
     */
    public static Lora attach(Module model, LoraConfig config, Rng rng) {
        if (model == null || config == null || rng == null) {
            throw new IllegalArgumentException("Lora.attach: model, config and rng must not be null");
        }
        Map<String, Linear> linears = linearLayers(model);
        for (String t : config.targets()) {
            boolean found = false;
            for (String path : linears.keySet()) {
                found |= path.equals(t) || path.endsWith("." + t);
            }
            if (!found) {
                Set<String> names = new TreeSet<>();
                for (String path : linears.keySet()) {
                    names.add(path.substring(path.lastIndexOf('.') + 1));
                }
                throw new IllegalArgumentException("Lora.attach: target '" + t + "' matches no linear layer of "
                        + model.getClass().getSimpleName() + "; its linear layers are named " + names
                        + " (a full path such as '" + (linears.isEmpty() ? "" : linears.keySet().iterator().next())
                        + "' also matches)");
            }
        }
        Lora lora = new Lora(config);
        for (Map.Entry<String, Linear> e : linears.entrySet()) {
            if (config.matches(e.getKey())) {
                if (e.getValue().adapter() != null) {
                    throw new IllegalArgumentException("Lora.attach: layer '" + e.getKey() + "' already has an adapter");
                }
                lora.adapters.put(e.getKey(), new LoraAdapter(lora, e.getValue(), config, rng));
            }
        }
        lora.adapters.forEach((path, a) -> a.layer().attachAdapter(a));
        LOG.debug("LoRA r={} alpha={} on {} layers: {}", config.rank(), config.alpha(), lora.adapters.size(),
                lora.adapters.keySet());
        return lora;
    }

    /** Every {@link Linear} in {@code root}'s tree by hierarchical path, depth first in registration order. */
    static Map<String, Linear> linearLayers(Module root) {
        Map<String, Linear> out = new LinkedHashMap<>();
        collect("", root, out, Collections.newSetFromMap(new IdentityHashMap<>()));
        return out;
    }

    private static void collect(String path, Module m, Map<String, Linear> out, Set<Module> seen) {
        if (!seen.add(m)) {
            return; // a shared module is adapted once, under its first path
        }
        if (m instanceof Linear l) {
            out.put(path, l);
        }
        for (Map.Entry<String, Module> e : m.children().entrySet()) {
            collect(path.isEmpty() ? e.getKey() : path + "." + e.getKey(), e.getValue(), out, seen);
        }
    }

    public LoraConfig config() {
        return config;
    }

    /** The adapted layers' paths, in model order. */
    public List<String> paths() {
        return List.copyOf(adapters.keySet());
    }

    /** The adapters' parameters: {@code <path>.lora_A} (in, r) and {@code <path>.lora_B} (r, out). */
    public Map<String, Parameter> namedParameters() {
        Map<String, Parameter> out = new LinkedHashMap<>();
        adapters.forEach((path, a) -> {
            out.put(path + ".lora_A", a.a);
            out.put(path + ".lora_B", a.b);
        });
        return out;
    }

    /** Number of scalar adapter parameters. */
    public long parameterCount() {
        long n = 0;
        for (Parameter p : namedParameters().values()) {
            n += p.length();
        }
        return n;
    }

    /** Whether the adapters are switched on (they still add nothing while merged). */
    public boolean enabled() {
        return enabled;
    }

    /** Whether the updates are currently folded into the base weights. */
    public boolean merged() {
        return merged;
    }

    /** Switches the adapters on or off; off, the model computes exactly the base model. */
    public void setEnabled(boolean on) {
        checkAttached("setEnabled");
        enabled = on;
    }

    /** Restores the on/off state that {@link #off()} found. */
    public final class Off implements AutoCloseable {
        private final boolean previous;

        private Off(boolean previous) {
            this.previous = previous;
        }

        @Override
        public void close() {
            enabled = previous;
        }
    }

    /**
     * Switches the adapters off until the returned scope is closed: the model is then the base
     * model, e.g. the frozen reference of PPO or DPO without a second copy of the weights.
     *
     * @throws IllegalStateException while merged (the base weights then include the updates)
     */
    public Off off() {
        checkAttached("off");
        if (merged) {
            throw new IllegalStateException("Lora.off: the adapters are merged into the base weights, so the base model"
                    + " cannot be run; unmerge() first");
        }
        Off scope = new Off(enabled);
        enabled = false;
        return scope;
    }

    /** W += (α/r)·A·B in every adapted layer; the adapters then add nothing until {@link #unmerge}. */
    public void merge() {
        checkAttached("merge");
        if (merged) {
            throw new IllegalStateException("Lora.merge: already merged");
        }
        if (!enabled) {
            throw new IllegalStateException("Lora.merge: the adapters are switched off; merging them would change the"
                    + " model being run");
        }
        for (LoraAdapter a : adapters.values()) {
            a.layer().weight().data().addi(a.update());
        }
        merged = true;
    }

    /** W −= (α/r)·A·B: the base weights back, to rounding (float addition is not exactly reversible). */
    public void unmerge() {
        checkAttached("unmerge");
        if (!merged) {
            throw new IllegalStateException("Lora.unmerge: not merged");
        }
        for (LoraAdapter a : adapters.values()) {
            a.layer().weight().data().subi(a.update());
        }
        merged = false;
    }

    /**
     * Detaches the adapters from the layers, which become plain trainable layers again (with the
     * updates in their weights when merged: PEFT's {@code merge_and_unload}). This object is
     * unusable afterwards, except {@link #save}.
     */
    public void remove() {
        checkAttached("remove");
        adapters.values().forEach(a -> a.layer().detachAdapter());
        removed = true;
    }

    private void checkAttached(String fn) {
        if (removed) {
            throw new IllegalStateException("Lora." + fn + ": the adapters were removed from the model");
        }
    }

    /**
     * Writes the adapters alone (not the base model) in PEFT's layout: {@code
     * base_model.model.<path>.lora_A.weight} (r, in), {@code ….lora_B.weight} (out, r), and
     * metadata {@code r}, {@code lora_alpha}, {@code lora_dropout}, {@code target_modules}
     * (comma-separated).
     */
    public void save(Path file) throws IOException {
        Map<String, INDArray> tensors = new LinkedHashMap<>();
        adapters.forEach((path, a) -> {
            tensors.put(PEFT_PREFIX + path + ".lora_A.weight", a.a.data().transpose());
            tensors.put(PEFT_PREFIX + path + ".lora_B.weight", a.b.data().transpose());
        });
        Map<String, String> meta = new LinkedHashMap<>();
        meta.put("format", "pt");
        meta.put("r", Integer.toString(config.rank()));
        meta.put("lora_alpha", Double.toString(config.alpha()));
        meta.put("lora_dropout", Double.toString(config.dropout()));
        meta.put("target_modules", String.join(",", config.targets()));
        SafeTensors.write(file, tensors, meta);
    }

    /**
     * Attaches adapters described by a file written by {@link #save} (or by PEFT, with its
     * settings in the metadata) to {@code model} and loads their weights.
     *
     * @throws IllegalArgumentException when the metadata lacks a setting, or the file's tensors do
     *     not match the adapted layers (see {@link #loadWeights})
     */
    public static Lora load(Module model, Path file, Rng rng) throws IOException {
        SafeTensors.Content c = SafeTensors.read(file);
        Map<String, String> meta = c.metadata();
        for (String key : List.of("r", "lora_alpha", "lora_dropout", "target_modules")) {
            if (!meta.containsKey(key)) {
                throw new IllegalArgumentException("Lora.load: " + file + " has no '" + key + "' in its metadata (has "
                        + meta.keySet() + ")");
            }
        }
        LoraConfig config;
        try {
            config = new LoraConfig(Integer.parseInt(meta.get("r")), Double.parseDouble(meta.get("lora_alpha")),
                    Double.parseDouble(meta.get("lora_dropout")), Arrays.asList(meta.get("target_modules").split(",")));
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("Lora.load: " + file + " has a non-numeric setting in " + meta, e);
        }
        Lora lora = attach(model, config, rng);
        try {
            lora.loadWeights(c.tensors(), file.toString());
        } catch (RuntimeException e) {
            lora.remove(); // leave the model as it was
            throw e;
        }
        return lora;
    }

    /**
     * Loads adapter weights from a file written by {@link #save} into these adapters. Names must
     * match exactly and shapes must be (r, in) / (out, r); everything is checked before the first
     * value is copied.
     */
    public void loadWeights(Path file) throws IOException {
        loadWeights(SafeTensors.read(file).tensors(), file.toString());
    }

    private void loadWeights(Map<String, INDArray> tensors, String source) {
        checkAttached("loadWeights");
        if (merged) {
            throw new IllegalStateException("Lora.loadWeights: unmerge() first (the merged weights hold the old adapters)");
        }
        Map<Parameter, INDArray> values = new LinkedHashMap<>();
        Set<String> expected = new LinkedHashSet<>();
        adapters.forEach((path, a) -> {
            expected.add(PEFT_PREFIX + path + ".lora_A.weight");
            expected.add(PEFT_PREFIX + path + ".lora_B.weight");
        });
        Set<String> missing = new LinkedHashSet<>(expected);
        missing.removeAll(tensors.keySet());
        Set<String> unexpected = new LinkedHashSet<>(tensors.keySet());
        unexpected.removeAll(expected);
        if (!missing.isEmpty() || !unexpected.isEmpty()) {
            throw new IllegalArgumentException("Lora.loadWeights: " + source + " does not match the adapted layers: missing "
                    + missing + ", unexpected " + unexpected);
        }
        adapters.forEach((path, a) -> {
            values.put(a.a, transposed(tensors, PEFT_PREFIX + path + ".lora_A.weight", a.a, source));
            values.put(a.b, transposed(tensors, PEFT_PREFIX + path + ".lora_B.weight", a.b, source));
        });
        values.forEach((p, v) -> p.data().assign(v.dataType() == p.dtype() ? v : v.castTo(p.dtype())));
    }

    private static INDArray transposed(Map<String, INDArray> tensors, String name, Parameter target, String source) {
        INDArray v = tensors.get(name);
        long[] want = {target.size(1), target.size(0)};
        if (!Arrays.equals(v.shape(), want)) {
            throw new IllegalArgumentException("Lora.loadWeights: " + source + ": '" + name + "' must have shape "
                    + Arrays.toString(want) + " but has " + Arrays.toString(v.shape()));
        }
        if (!v.dataType().isFPType()) {
            throw new IllegalArgumentException("Lora.loadWeights: " + source + ": '" + name
                    + "' must hold floating-point values but is " + v.dataType());
        }
        return v.transpose();
    }

    /** Copies another adapter set's weights (same paths and shapes), e.g. into a copied model. */
    public void copyFrom(Lora other) {
        checkAttached("copyFrom");
        if (!other.adapters.keySet().equals(adapters.keySet())) {
            throw new IllegalArgumentException("Lora.copyFrom: the adapted layers differ: " + other.adapters.keySet()
                    + " vs " + adapters.keySet());
        }
        List<String> bad = new ArrayList<>();
        adapters.forEach((path, a) -> {
            LoraAdapter o = other.adapters.get(path);
            if (!Arrays.equals(o.a.shape(), a.a.shape()) || !Arrays.equals(o.b.shape(), a.b.shape())) {
                bad.add(path);
            }
        });
        if (!bad.isEmpty()) {
            throw new IllegalArgumentException("Lora.copyFrom: adapter shapes differ at " + bad);
        }
        adapters.forEach((path, a) -> {
            a.a.data().assign(other.adapters.get(path).a.data());
            a.b.data().assign(other.adapters.get(path).b.data());
        });
    }
}
