package dev.tessera.training.checkpoint;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.tessera.core.Require;
import dev.tessera.io.SafeTensors;
import dev.tessera.io.Sha256;
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
import java.util.TreeMap;
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
 *   root/step-00000100/manifest.json           {"format": "tessera-checkpoint-manifest", "version": 1,
 *                                              "files": {name: {"bytes": n, "sha256": hex}}}, written last
 * </pre>
 * trainer.json lists its keys sorted, so the same state always gives the same bytes.
 *
 * <p><b>Atomic save:</b> the four files are written and fsynced inside a hidden temporary
 * directory {@code root/.step-00000100.tmp-*}, which is then renamed to its final name (the
 * commit point) and the root fsynced. A crash or exception at any point before the rename
 * leaves only a hidden directory that loading ignores and the next save deletes, so the
 * previous checkpoint stays the latest loadable one. Older checkpoints beyond {@code keepLast}
 * are deleted only after a save succeeds, and each is first renamed to a hidden name, so a
 * deletion that fails midway never leaves a half-deleted directory under a step name (the next
 * save removes the hidden remains).
 *
 * <p><b>Validated load:</b> every file's size and SHA-256 must match the manifest (a flipped bit,
 * a truncated file or an edited number is an error naming the file); the JSON's format, version
 * and step must match the directory name; the safetensors files are validated by
 * {@link SafeTensors}; restoring checks names and shapes strictly against the model and optimizer.
 * {@link #latest()} falls back to the newest checkpoint that validates, with a warning for each
 * one it skips, and ignores directory names whose step does not fit a {@code long}.
 */
public final class CheckpointStore {
    static final String FORMAT = "tessera-checkpoint";
    static final int VERSION = 1;
    static final String MANIFEST = "manifest.json";
    static final String MANIFEST_FORMAT = "tessera-checkpoint-manifest";
    static final String MODEL = "model.safetensors";
    static final String OPTIMIZER = "optimizer.safetensors";
    static final String TRAINER = "trainer.json";
    /** The files a checkpoint consists of, besides the manifest that records them. */
    static final List<String> FILES = List.of(MODEL, OPTIMIZER, TRAINER);
    private static final Logger LOG = LoggerFactory.getLogger(CheckpointStore.class);
    private static final Pattern NAME = Pattern.compile("step-(\\d{8,})");
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .enable(JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

    /** Called after each file of a save is complete (tests use it to interrupt a save midway). */
    @FunctionalInterface
    interface SaveObserver {
        void fileWritten(String name) throws IOException;

        /** Called before each file or directory of a checkpoint is deleted (tests use it to fail a deletion midway). */
        default void deleting(Path path) throws IOException { }
    }

    private final Path root;
    private final int keepLast;
    private final SaveObserver observer;

    /** @param keepLast how many checkpoints to keep (≥ 1), typical 2–3 */
    public CheckpointStore(Path root, int keepLast) {
        this(root, keepLast, name -> { });
    }

    CheckpointStore(Path root, int keepLast, SaveObserver observer) {
        Require.nonNull("root", root);
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
        SafeTensors.write(tmp.resolve(MODEL), model.stateDict(), Map.of("format", "pt"));
        observer.fileWritten(MODEL);
        SafeTensors.write(tmp.resolve(OPTIMIZER), optimizer.stateDict(), Map.of());
        observer.fileWritten(OPTIMIZER);
        writeSynced(tmp.resolve(TRAINER), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(toJson(state)));
        observer.fileWritten(TRAINER);
        // last: a directory with a manifest holds every file complete
        writeSynced(tmp.resolve(MANIFEST), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(manifest(tmp)));
        observer.fileWritten(MANIFEST);
        Path replaced = null;
        if (Files.exists(target)) { // re-saving a step (e.g. after a resume): move the old one aside first
            replaced = hideForDeletion(target);
        }
        try {
            Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(tmp, target);
        }
        syncDirectory(root);
        LOG.info("saved checkpoint {}", target);
        if (replaced != null) {
            deleteQuietly(replaced);
        }
        prune();
        return target;
    }

    /** Committed checkpoint directories, newest first. */
    public List<Path> list() throws IOException {
        if (!Files.isDirectory(root)) {
            return List.of();
        }
        List<Path> out = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            for (Path p : s.toList()) {
                if (NAME.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p)) {
                    if (stepOf(p) < 0) {
                        LOG.warn("ignoring {}: not a step number this store writes (too large, or extra leading zeros)", p);
                    } else {
                        out.add(p);
                    }
                }
            }
        }
        out.sort(Comparator.comparingLong(CheckpointStore::stepOf).reversed());
        return out;
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
        if (dir == null || dir.getFileName() == null || !NAME.matcher(dir.getFileName().toString()).matches()) {
            throw new IOException(dir + ": not a checkpoint directory name (expected step-NNNNNNNN)");
        }
        long step = stepOf(dir);
        if (step < 0) {
            throw new IOException(dir + ": not a step number this store writes (too large, or extra leading zeros)");
        }
        if (!Files.isDirectory(dir)) {
            throw new IOException(dir + ": not a directory");
        }
        verifyManifest(dir);
        Path json = dir.resolve(TRAINER);
        TrainingState state = parseTrainerJson(Files.readAllBytes(json), json, step);
        Map<String, INDArray> model = SafeTensors.read(dir.resolve(MODEL)).tensors();
        Map<String, INDArray> optim = SafeTensors.read(dir.resolve(OPTIMIZER)).tensors();
        return new Checkpoint(dir, model, optim, state);
    }

    /** The manifest of the files in {@code dir}: size and SHA-256 of each. */
    private static ObjectNode manifest(Path dir) throws IOException {
        ObjectNode o = JSON.createObjectNode();
        o.put("format", MANIFEST_FORMAT);
        o.put("version", VERSION);
        ObjectNode files = o.putObject("files");
        for (String f : FILES) {
            Path p = dir.resolve(f);
            ObjectNode e = files.putObject(f);
            e.put("bytes", Files.size(p));
            e.put("sha256", Sha256.of(p));
        }
        return o;
    }

    /** Checks every file's size and SHA-256 against the manifest. */
    private static void verifyManifest(Path dir) throws IOException {
        Path mf = dir.resolve(MANIFEST);
        if (!Files.isRegularFile(mf)) {
            throw new IOException(mf + " is missing: the save did not complete (the manifest is written last)");
        }
        byte[] bytes = Files.readAllBytes(mf);
        if (bytes.length == 0) {
            throw new IOException(mf + " is empty (0 bytes)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new IOException(mf + ": invalid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject() || !MANIFEST_FORMAT.equals(root.path("format").asText())) {
            throw new IOException(mf + ": must be a JSON object with format '" + MANIFEST_FORMAT + "' but is "
                    + abbreviate(String.valueOf(root)));
        }
        if (root.path("version").asInt(-1) != VERSION) {
            throw new IOException(mf + ": version must be " + VERSION + " but is " + root.path("version"));
        }
        JsonNode files = root.path("files");
        for (String f : FILES) {
            JsonNode e = files.path(f);
            JsonNode size = e.path("bytes");
            JsonNode sha = e.path("sha256");
            if (!size.isIntegralNumber() || !size.canConvertToLong() || !sha.isTextual()) {
                throw new IOException(mf + ": has no valid entry {\"bytes\": n, \"sha256\": hex} for " + f
                        + " but " + abbreviate(e.toString()));
            }
            Path p = dir.resolve(f);
            if (!Files.isRegularFile(p)) {
                throw new IOException(p + " is missing (the manifest records " + size.asLong() + " bytes)");
            }
            long actual = Files.size(p);
            if (actual == 0 && size.asLong() != 0) {
                throw new IOException(p + " is empty (0 bytes; the manifest records " + size.asLong() + ")");
            }
            if (actual != size.asLong()) {
                throw new IOException(p + " has " + actual + " bytes but the manifest records " + size.asLong()
                        + " (truncated or damaged)");
            }
            String hash = Sha256.of(p);
            if (!hash.equals(sha.asText())) {
                throw new IOException(p + ": SHA-256 " + hash + " does not match the manifest's " + sha.asText()
                        + " (the file is damaged)");
            }
        }
    }

    private static String abbreviate(String s) {
        return s.length() <= 80 ? s : s.substring(0, 77) + "...";
    }

    /** Parses and validates trainer.json's bytes ({@code json} names the file in messages). */
    static TrainingState parseTrainerJson(byte[] bytes, Path json, long expectedStep) throws IOException {
        if (bytes.length == 0) {
            throw new IOException(json + " is empty (0 bytes)");
        }
        JsonNode root;
        try {
            root = JSON.readTree(bytes);
        } catch (JsonProcessingException e) {
            throw new IOException(json + ": invalid JSON: " + e.getOriginalMessage(), e);
        }
        if (root == null || !root.isObject()) {
            throw new IOException(json + ": must be a JSON object but is "
                    + (root == null || root.isMissingNode() ? "blank" : abbreviate(root.toString())));
        }
        if (!FORMAT.equals(root.path("format").asText())) {
            throw new IOException(json + ": format must be '" + FORMAT + "' but is " + root.path("format"));
        }
        if (root.path("version").asInt(-1) != VERSION) {
            throw new IOException(json + ": version must be " + VERSION + " but is " + root.path("version"));
        }
        TrainingState state = fromJson(root, json);
        if (state.step() != expectedStep) {
            throw new IOException(json + ": step " + state.step() + " does not match the directory step " + expectedStep);
        }
        return state;
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
        new TreeMap<>(s.scalars()).forEach(sc::put);
        return o;
    }

    private static ObjectNode longs(Map<String, long[]> m) {
        ObjectNode o = JSON.createObjectNode();
        new TreeMap<>(m).forEach((k, v) -> {
            ArrayNode a = o.putArray(k);
            for (long x : v) {
                a.add(x);
            }
        });
        return o;
    }

    private static TrainingState fromJson(JsonNode root, Path json) throws IOException {
        JsonNode step = root.path("step");
        if (!step.isIntegralNumber() || !step.canConvertToLong() || step.asLong() < 0) {
            throw new IOException(json + ": step must be an integer >= 0 but is " + step);
        }
        Map<String, long[]> rng = readLongs(object(root, "rng", json), json);
        Map<String, long[]> data = readLongs(object(root, "data", json), json);
        Map<String, Double> scalars = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = object(root, "scalars", json).fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            if (!e.getValue().isNumber() || !Double.isFinite(e.getValue().asDouble())) {
                throw new IOException(json + ": scalar '" + e.getKey() + "' must be a finite number but is " + e.getValue());
            }
            scalars.put(e.getKey(), e.getValue().asDouble());
        }
        return new TrainingState(step.asLong(), rng, data, scalars);
    }

    private static JsonNode object(JsonNode root, String name, Path json) throws IOException {
        JsonNode n = root.path(name);
        if (!n.isObject()) {
            throw new IOException(json + ": '" + name + "' must be a JSON object but is "
                    + (n.isMissingNode() ? "missing" : abbreviate(n.toString())));
        }
        return n;
    }

    private static Map<String, long[]> readLongs(JsonNode node, Path json) throws IOException {
        Map<String, long[]> out = new LinkedHashMap<>();
        Iterator<Map.Entry<String, JsonNode>> it = node.fields();
        while (it.hasNext()) {
            Map.Entry<String, JsonNode> e = it.next();
            JsonNode a = e.getValue();
            if (!a.isArray()) {
                throw new IOException(json + ": '" + e.getKey() + "' must be an array of integers but is "
                        + abbreviate(a.toString()));
            }
            long[] v = new long[a.size()];
            for (int i = 0; i < v.length; i++) {
                if (!a.get(i).isIntegralNumber() || !a.get(i).canConvertToLong()) {
                    throw new IOException(json + ": '" + e.getKey() + "'[" + i + "] must be a 64-bit integer but is "
                            + a.get(i));
                }
                v[i] = a.get(i).asLong();
            }
            out.put(e.getKey(), v);
        }
        return out;
    }

    /**
     * The step in a checkpoint directory's name, or -1 when the name is not one {@link #dirName}
     * writes (its number does not fit a long, or has extra leading zeros).
     */
    private static long stepOf(Path p) {
        String name = p.getFileName().toString();
        Matcher m = NAME.matcher(name);
        if (!m.matches()) {
            return -1;
        }
        try {
            long step = Long.parseLong(m.group(1));
            return dirName(step).equals(name) ? step : -1;
        } catch (NumberFormatException e) {
            return -1;
        }
    }

    /** Deletes the checkpoints beyond {@code keepLast}; a failure leaves hidden remains, never a half-deleted step. */
    private void prune() throws IOException {
        List<Path> all = list();
        for (int i = keepLast; i < all.size(); i++) {
            Path hidden;
            try {
                hidden = hideForDeletion(all.get(i));
            } catch (IOException e) {
                LOG.warn("could not prune checkpoint {}: {}", all.get(i), e.getMessage());
                continue;
            }
            deleteQuietly(hidden);
        }
    }

    /** Renames a checkpoint to a hidden name that loading ignores and the next save deletes. */
    private Path hideForDeletion(Path dir) throws IOException {
        Path hidden = root.resolve("." + dir.getFileName() + ".del-" + System.nanoTime());
        try {
            Files.move(dir, hidden, StandardCopyOption.ATOMIC_MOVE);
        } catch (AtomicMoveNotSupportedException e) {
            Files.move(dir, hidden);
        }
        syncDirectory(root);
        return hidden;
    }

    private void deleteQuietly(Path hidden) {
        try {
            deleteTree(hidden);
        } catch (IOException e) {
            LOG.warn("could not delete {} (the next save retries): {}", hidden, e.getMessage());
        }
    }

    private void deleteStaleTemporaries() throws IOException {
        List<Path> stale = new ArrayList<>();
        try (Stream<Path> s = Files.list(root)) {
            s.filter(p -> p.getFileName().toString().startsWith(".step-")).forEach(stale::add);
        }
        for (Path p : stale) {
            LOG.info("deleting incomplete or pruned checkpoint {}", p);
            deleteQuietly(p);
        }
    }

    private void deleteTree(Path p) throws IOException {
        try (Stream<Path> s = Files.walk(p)) {
            for (Path q : s.sorted(Comparator.reverseOrder()).toList()) {
                observer.deleting(q);
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
