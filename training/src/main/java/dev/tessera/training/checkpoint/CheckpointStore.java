package dev.tessera.training.checkpoint;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.io.SafeTensors;
import dev.tessera.nn.Module;
import dev.tessera.training.optim.Optimizer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checkpoints as directories under a root, one per step:
 * <pre>
 *   root/step-00000100/model.safetensors       weights by parameter name
 *   root/step-00000100/optimizer.safetensors   the optimizer's state dict
 *   root/step-00000100/trainer.json            {"format": "tessera-checkpoint", "version": 1, "step": 100,
 *                                              "rng": {name: [longs]}, "data": {name: [longs]}, "scalars": {...}}
 * </pre>
 * <b>Atomic save:</b> the three files are written and fsynced inside a hidden temporary
 * directory {@code root/.step-00000100.tmp-*}, which is then renamed to its final name (the
 * commit point) and the root fsynced. A crash or exception at any point before the rename
 * leaves only a hidden directory that loading ignores and the next save deletes, so the
 * previous checkpoint stays the latest loadable one. Older checkpoints beyond {@code keepLast}
 * are deleted only after a save succeeds.
 *
 * <p><b>Validated load:</b> the JSON's format, version and step must match the directory name;
 * the safetensors files are validated by {@link SafeTensors}; restoring checks names and shapes
 * strictly against the model and optimizer. {@link #latest()} falls back to an older
 * checkpoint, with a warning, when the newest does not validate.
 */
public final class CheckpointStore {
    static final String FORMAT = "tessera-checkpoint";
    static final int VERSION = 1;
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
    private static final Pattern NAME = Pattern.compile("step-(\\d{8,})");
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Called after each file of a save is complete (tests use it to interrupt a save midway). */
    @FunctionalInterface
    interface SaveObserver {
        void fileWritten(String name) throws IOException;
    }

    private final Path root;
    private final int keepLast;
    private final SaveObserver observer;

    /** @param keepLast how many checkpoints to keep (≥ 1), typical 2–3 */
    public CheckpointStore(Path root, int keepLast) {
        this(root, keepLast, name -> { });
    }

    CheckpointStore(Path root, int keepLast, SaveObserver observer) {
        if (root == null) {
            throw new IllegalArgumentException("root must not be null");
        }
        if (keepLast < 1) {
            throw new IllegalArgumentException("keepLast must be >= 1 but was " + keepLast);
        }
        this.root = root.toAbsolutePath();
        this.keepLast = keepLast;
        this.observer = observer;
    }

    public Path root() {
        return root;
    }

    /** The directory name of a step: {@code step-00000100}. */
    public static String dirName(long step) {
        return String.format("step-%08d", step);
    }

    /** Saves atomically; returns the checkpoint directory. */
    public Path save(Module model, Optimizer optimizer, TrainingState state) throws IOException {
        Files.createDirectories(root);
        deleteStaleTemporaries();
        String name = dirName(state.step());
        Path target = root.resolve(name);
        Path tmp = Files.createTempDirectory(root, "." + name + ".tmp-");
        SafeTensors.write(tmp.resolve("model.safetensors"), model.stateDict(), Map.of("format", "pt"));
        observer.fileWritten("model.safetensors");
        SafeTensors.write(tmp.resolve("optimizer.safetensors"), optimizer.stateDict(), Map.of());
        observer.fileWritten("optimizer.safetensors");
        writeSynced(tmp.resolve("trainer.json"), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson(state)));
        observer.fileWritten("trainer.json");
        if (Files.exists(target)) { // re-saving a step (e.g. after a resume): replace it
            deleteTree(target);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target);
        }
        syncDirectory(root);
        LOG.info("saved checkpoint {}", target);
        prune();
        return target;
    }

    /** Committed checkpoint directories, newest first. */
    public List<Path> list() throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        try (Stream<Path> s = Files.list(root)) {
            return s.filter(p -> NAME.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p))
                    .sorted(Comparator.comparingLong(CheckpointStore::stepOf).reversed())
                    .toList();
        }
    }

    /** The newest checkpoint that validates, if any. */
    public Optional<Checkpoint> latest() throws IOException {
        for (Path p : list()) {
            try {
                return Optional.of(load(p));
            } catch (IOException | RuntimeException e) {
                LOG.warn("skipping checkpoint {}: {}", p, e.getMessage());
            }
        }
        return Optional.empty();
    }

    /** Loads and validates one checkpoint directory. */
    public static Checkpoint load(Path dir) throws IOException {
        Matcher m = NAME.matcher(dir.getFileName().toString());
        if (!m.matches()) {
            throw new IOException(dir + ": not a checkpoint directory name (expected step-NNNNNNNN)");
        }
        Path json = dir.resolve("trainer.json");
        if (!Files.isRegularFile(json)) {
            throw new IOException(dir + ": trainer.json is missing");
        }
        JsonNode root;
        try {
            root = JSON.readTree(Files.readAllBytes(json));
        } catch (IOException e) {
            throw new IOException(json + ": invalid JSON: " + e.getMessage(), e);
        }
        if (!FORMAT.equals(root.path("format").asText())) {
            throw new IOException(json + ": format must be '" + FORMAT + "' but is " + root.path("format"));
        }
        if (root.path("version").asInt(-1) != VERSION) {
            throw new IOException(json + ": version must be " + VERSION + " but is " + root.path("version"));
        }
        TrainingState state = fromJson(root, json);
        if (state.step() != Long.parseLong(m.group(1))) {
            throw new IOException(json + ": step " + state.step() + " does not match the directory " + dir.getFileName());
        }
        Map<String, INDArray> model = SafeTensors.read(dir.resolve("model.safetensors")).tensors();
        Map<String, INDArray> optim = SafeTensors.read(dir.resolve("optimizer.safetensors")).tensors();
        return new Checkpoint(dir, model, optim, state);
    }

    /** Copies a checkpoint into a model and optimizer (strict names and shapes). */
    public static void restore(Checkpoint c, Module model, Optimizer optimizer) {
        model.loadStateDict(c.model(), true);
        optimizer.loadStateDict(c.optimizer());
    }

    private static ObjectNode toJson(TrainingState s) {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", FORMAT);
        o.put("version", VERSION);
        o.put("step", s.step());
        o.set("rng", longs(s.rngStates()));
        o.set("data", longs(s.dataPositions()));
        ObjectNode sc = o.putObject("scalars");
        s.scalars().forEach(sc::put);
        return o;
    }

    private static ObjectNode longs(Map<String, long[]> m) {
        ObjectNode o = JSON.createObjectNode();
        m.forEach((k, v) -> {
            ArrayNode a = o.putArray(k);
            for (long x : v) {
                a.add(x);
            }
        });
        return o;
    }

    private static TrainingState fromJson(JsonNode root, Path json) throws IOException {
        JsonNode step = root.path("step");
        if (!step.canConvertToLong() || !step.isIntegralNumber()) {
            throw new IOException(json + ": step must be an integer but is " + step);
        }
        Map<String, Double> scalars = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = root.path("scalars").fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isNumber()) {
                throw new IOException(json + ": scalar '" + e.getKey() + "' must be a number but is " + e.getValue());
            }
            scalars.put(e.getKey(), e.getValue().asDouble());
        }
        return new TrainingState(step.asLong(), readLongs(root.path("rng"), json), readLongs(root.path("data"), json),
                scalars);
    }

    private static Map<String, long[]> readLongs(JsonNode node, Path json) throws IOException {
        Map<String, long[]> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode a = e.getValue();
            if (!a.isArray()) {
                throw new IOException(json + ": '" + e.getKey() + "' must be an array of integers");
            }
            long[] v = new long[a.size()];
            for (int i = 0; i < v.length; i++) {
                if (!a.get(i).isIntegralNumber()) {
                    throw new IOException(json + ": '" + e.getKey() + "'[" + i + "] must be an integer but is " + a.get(i));
                }
                v[i] = a.get(i).asLong();
            }
            out.put(e.getKey(), v);
        }
        return out;
    }

    private static long stepOf(Path p) {
        Matcher m = NAME.matcher(p.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(1)) : -1;
    }

    private void prune() throws IOException {
        List<Path> all = list();
        for (int i = keepLast; i < all.size(); i++) {
            deleteTree(all.get(i));
        }
    }

    private void deleteStaleTemporaries() throws IOException {
        List<Path> stale = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            s.filter(p -> p.getFileName().toString().startsWith(".step-")).forEach(stale::add);
        }
        for (Path p : stale) {
            LOG.info("deleting incomplete checkpoint {}", p);
            deleteTree(p);
        }
    }

    private static void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(q);
            }
        } catch (UncheckedIOException e) {
            throw e.getCause();
        }
    }

    private static void writeSynced(Path p, byte[] bytes) throws IOException {
        try (FileChannel ch = FileChannel.open(p, StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE)) {
            ByteBuffer b = ByteBuffer.wrap(bytes);
            while (b.hasRemaining()) {
                ch.write(b);
            }
            ch.force(true);
        }
    }

    private static void syncDirectory(Path dir) {
        // Directory fsync makes the rename durable; not every platform allows opening a directory.
        try (FileChannel ch = FileChannel.open(dir, StandardOpenOption.READ)) {
            ch.force(true);
        } catch (IOException e) {
            LOG.debug("directory fsync not supported for {}: {}", dir, e.getMessage());
        }
    }

}
