package dev.tessera.training.checkpoint;

import static dev.tessera.training.TestArrays.assertBitEqual;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.training.TinyLm;
import dev.tessera.training.optim.AdamW;
import dev.tessera.training.optim.AdamWConfig;
import java.io.IOException;
import java.nio.channels.ClosedByInterruptException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class CheckpointStoreTest {
    @TempDir
    Path dir;

    private static TrainingState state(long step) {
        return new TrainingState(step, Map.of("dropout", new long[] {1, 2, 3, 4, 5, 0}), Map.of("train", new long[] {step, -7}),
                Map.of("best_eval_loss", 1.25));
    }

    private static List<String> hidden(Path root) throws IOException {
        try (Stream<Path> s = Files.list(root)) {
            return s.map(p -> p.getFileName().toString()).filter(n -> n.startsWith(".")).toList();
        }
    }

    @Test
    void roundTripsEverything() throws IOException {
        TinyLm model = new TinyLm(20, 8, 0, 1, DataType.FLOAT);
        AdamW opt = new AdamW(model.namedParameters(), AdamWConfig.lm(1e-3));
        CheckpointStore store = new CheckpointStore(dir, 2);
        Path p = store.save(model, opt, state(5));
        assertEquals("step-00000005", p.getFileName().toString());
        Checkpoint c = store.latest().orElseThrow();
        assertEquals(5, c.state().step());
        assertArrayEquals(new long[] {5, -7}, c.state().dataPositions().get("train"));
        assertArrayEquals(new long[] {1, 2, 3, 4, 5, 0}, c.state().rngStates().get("dropout"));
        assertEquals(1.25, c.state().scalars().get("best_eval_loss"));
        TinyLm other = new TinyLm(20, 8, 0, 2, DataType.FLOAT);
        AdamW otherOpt = new AdamW(other.namedParameters(), AdamWConfig.lm(1e-3));
        CheckpointStore.restore(c, other, otherOpt);
        model.namedParameters().forEach((n, q) -> assertBitEqual(n, q.data(), other.namedParameters().get(n).data()));
        // keepLast = 2 prunes the oldest
        store.save(model, opt, state(6));
        store.save(model, opt, state(7));
        assertEquals(List.of(dir.resolve("step-00000007"), dir.resolve("step-00000006")), store.list());
    }

    @Test
    void saveInterruptedMidwayLeavesPreviousCheckpointLoadable() throws IOException {
        TinyLm model = new TinyLm(20, 8, 0, 1, DataType.FLOAT);
        AdamW opt = new AdamW(model.namedParameters(), AdamWConfig.lm(1e-3));
        new CheckpointStore(dir, 3).save(model, opt, state(1));
        Map<String, INDArray> before = CheckpointStore.load(dir.resolve("step-00000001")).model();

        model.head.weight().data().addi(1.0); // the state the interrupted save was writing
        // 1. the process "dies" after the weights file is complete, before the optimizer state
        CheckpointStore crashing = new CheckpointStore(dir, 3, name -> {
            if (name.equals("model.safetensors")) {
                throw new IOException("simulated crash after " + name);
            }
        });
        assertThrows(IOException.class, () -> crashing.save(model, opt, state(2)));
        assertEquals(1, hidden(dir).size(), "the incomplete save stays hidden: " + hidden(dir));
        Checkpoint c = new CheckpointStore(dir, 3).latest().orElseThrow();
        assertEquals(1, c.state().step());
        assertBitEqual("head.weight", before.get("head.weight"), c.model().get("head.weight"));

        // 2. the saving thread is interrupted: the first write fails with ClosedByInterruptException
        Thread.currentThread().interrupt();
        try {
            assertThrows(ClosedByInterruptException.class, () -> new CheckpointStore(dir, 3).save(model, opt, state(3)));
        } finally {
            Thread.interrupted();
        }
        assertEquals(1, new CheckpointStore(dir, 3).latest().orElseThrow().state().step());

        // the next successful save removes the leftovers
        new CheckpointStore(dir, 3).save(model, opt, state(4));
        assertEquals(List.of(), hidden(dir));
        assertEquals(4, new CheckpointStore(dir, 3).latest().orElseThrow().state().step());
    }

    @Test
    void corruptNewestFallsBackAndLoadValidates() throws IOException {
        TinyLm model = new TinyLm(20, 8, 0, 1, DataType.FLOAT);
        AdamW opt = new AdamW(model.namedParameters(), AdamWConfig.lm(1e-3));
        CheckpointStore store = new CheckpointStore(dir, 3);
        store.save(model, opt, state(1));
        Path newest = store.save(model, opt, state(2));
        Path weights = newest.resolve("model.safetensors");
        byte[] b = Files.readAllBytes(weights);
        Files.write(weights, java.util.Arrays.copyOf(b, b.length - 3));
        assertEquals(1, store.latest().orElseThrow().state().step());
        assertThrows(IOException.class, () -> CheckpointStore.load(newest));

        byte[] wrongStep = "{\"format\": \"tessera-checkpoint\", \"version\": 1, \"step\": 9, \"rng\": {}, \"data\": {}, \"scalars\": {}}"
                .getBytes(java.nio.charset.StandardCharsets.UTF_8);
        Path json = dir.resolve("step-00000001").resolve("trainer.json");
        IOException e = assertThrows(IOException.class, () -> CheckpointStore.parseTrainerJson(wrongStep, json, 1));
        assertTrue(e.getMessage().contains("does not match"), e.getMessage());
        Files.write(json, wrongStep);
        e = assertThrows(IOException.class, () -> CheckpointStore.load(dir.resolve("step-00000001")));
        assertTrue(e.getMessage().contains("trainer.json"), e.getMessage());
        assertTrue(store.latest().isEmpty());
    }

    private static AdamW optimizer(TinyLm model) {
        return new AdamW(model.namedParameters(), AdamWConfig.lm(1e-3));
    }

    /** Two committed checkpoints (steps 1 and 2) with non-zero AdamW moments; returns the newest. */
    private Path twoCheckpoints(CheckpointStore store) throws IOException {
        TinyLm model = new TinyLm(20, 8, 0, 1, DataType.FLOAT);
        AdamW opt = optimizer(model);
        store.save(model, opt, state(1));
        model.head.weight().data().addi(0.5);
        return store.save(model, opt, state(2));
    }

    private static void flipBit(Path file, long fromEnd) throws IOException {
        byte[] b = Files.readAllBytes(file);
        int i = (int) (b.length - fromEnd);
        b[i] ^= 0x10;
        Files.write(file, b);
    }

    /** Issue 15 item 1: a flipped bit in weights or optimizer moments, or an edited trainer.json, is detected. */
    @Test
    void corruptionOfAnyFileIsDetectedAndLatestFallsBack() throws IOException {
        for (String file : new String[] {"model.safetensors", "optimizer.safetensors", "trainer.json"}) {
            Path root = dir.resolve(file);
            CheckpointStore store = new CheckpointStore(root, 3);
            Path newest = twoCheckpoints(store);
            if (file.equals("trainer.json")) { // an edited number that still parses and validates
                Path json = newest.resolve(file);
                String edited = Files.readString(json).replace("1.25", "1.35");
                assertTrue(!edited.equals(Files.readString(json)), "the scalar is in the file");
                Files.writeString(json, edited);
            } else { // a bit in the last tensor's data: the safetensors structure stays valid
                flipBit(newest.resolve(file), 2);
            }
            IOException e = assertThrows(IOException.class, () -> CheckpointStore.load(newest), file);
            assertTrue(e.getMessage().contains(file) && e.getMessage().contains("SHA-256"), e.getMessage());
            assertEquals(1, store.latest().orElseThrow().state().step(), file + ": latest() falls back");
        }
    }

    @Test
    void checkpointWithoutManifestOrWithDamagedManifestIsRejected() throws IOException {
        CheckpointStore store = new CheckpointStore(dir, 3);
        Path newest = twoCheckpoints(store);
        Path manifest = newest.resolve(CheckpointStore.MANIFEST);
        String good = Files.readString(manifest);
        Files.writeString(manifest, "[1, 2]");
        IOException e = assertThrows(IOException.class, () -> CheckpointStore.load(newest));
        assertTrue(e.getMessage().contains(CheckpointStore.MANIFEST), e.getMessage());
        Files.writeString(manifest, good.replace("model.safetensors", "model.bin"));
        e = assertThrows(IOException.class, () -> CheckpointStore.load(newest));
        assertTrue(e.getMessage().contains("model.safetensors"), e.getMessage());
        Files.delete(manifest);
        e = assertThrows(IOException.class, () -> CheckpointStore.load(newest));
        assertTrue(e.getMessage().contains(CheckpointStore.MANIFEST) && e.getMessage().contains("missing"), e.getMessage());
        assertEquals(1, store.latest().orElseThrow().state().step());
    }

    /** Issue 15 item 2: names that look like steps but do not fit a long are skipped, not fatal. */
    @Test
    void latestSkipsStepNamesItCannotParse() throws IOException {
        CheckpointStore store = new CheckpointStore(dir, 3);
        twoCheckpoints(store);
        Files.createDirectories(dir.resolve("step-" + "9".repeat(20)));
        Files.createDirectories(dir.resolve("step-" + "0".repeat(30) + "7"));
        Files.createDirectories(dir.resolve("step-99999999999999999999999999999999999999"));
        assertEquals(List.of(dir.resolve("step-00000002"), dir.resolve("step-00000001")), store.list());
        assertEquals(2, store.latest().orElseThrow().state().step());
        assertThrows(IOException.class, () -> CheckpointStore.load(dir.getRoot()));
        assertThrows(IOException.class, () -> CheckpointStore.load(dir.resolve("step-00000009"))); // no such directory
        IOException e = assertThrows(IOException.class, () -> CheckpointStore.load(dir.resolve("step-" + "9".repeat(20))));
        assertTrue(e.getMessage().contains("step-" + "9".repeat(20)), e.getMessage());
    }

    /**
     * Issue 15 item 3: a pruning that fails midway (a crash, a file that cannot be deleted) leaves
     * no half-deleted checkpoint under a committed name; the next save removes the leftover.
     */
    @Test
    void pruningThatFailsMidwayLeavesNoHalfDeletedCheckpoint() throws IOException {
        TinyLm model = new TinyLm(20, 8, 0, 1, DataType.FLOAT);
        AdamW opt = optimizer(model);
        new CheckpointStore(dir, 1).save(model, opt, state(1));
        int[] deletions = {0};
        CheckpointStore failing = new CheckpointStore(dir, 1, new CheckpointStore.SaveObserver() {
            @Override
            public void fileWritten(String name) { }

            @Override
            public void deleting(Path path) throws IOException {
                if (++deletions[0] == 2) {
                    throw new IOException("simulated crash while deleting " + path);
                }
            }
        });
        try {
            failing.save(model, opt, state(2));
        } catch (IOException e) {
            // the save itself committed; only the pruning failed
        }
        for (Path p : failing.list()) {
            CheckpointStore.load(p); // every visible checkpoint is whole
        }
        assertEquals(2, failing.latest().orElseThrow().state().step());
        new CheckpointStore(dir, 1).save(model, opt, state(3));
        try (Stream<Path> s = Files.list(dir)) {
            assertEquals(List.of("step-00000003"), s.map(p -> p.getFileName().toString()).toList());
        }
    }

    /** Issue 15 item 4: the same state gives the same trainer.json bytes, whatever the maps' order. */
    @Test
    void trainerJsonIsDeterministic() throws IOException {
        TinyLm model = new TinyLm(20, 8, 0, 1, DataType.FLOAT);
        AdamW opt = optimizer(model);
        String[] names = {"zeta", "alpha", "mid", "beta", "omega", "kappa"};
        Map<String, long[]> rngA = new java.util.LinkedHashMap<>();
        Map<String, long[]> rngB = new java.util.LinkedHashMap<>();
        Map<String, Double> scA = new java.util.LinkedHashMap<>();
        Map<String, Double> scB = new java.util.LinkedHashMap<>();
        for (int i = 0; i < names.length; i++) {
            rngA.put(names[i], new long[] {i, 2L * i});
            scA.put(names[i], i + 0.5);
            String r = names[names.length - 1 - i];
            int j = names.length - 1 - i;
            rngB.put(r, new long[] {j, 2L * j});
            scB.put(r, j + 0.5);
        }
        Path a = new CheckpointStore(dir.resolve("a"), 1).save(model, opt, new TrainingState(3, rngA, rngA, scA));
        Path b = new CheckpointStore(dir.resolve("b"), 1).save(model, opt, new TrainingState(3, rngB, rngB, scB));
        for (String f : new String[] {"trainer.json", CheckpointStore.MANIFEST}) {
            assertEquals(Files.readString(a.resolve(f)), Files.readString(b.resolve(f)), f);
        }
        assertEquals(List.of("alpha", "beta", "kappa", "mid", "omega", "zeta"),
                List.copyOf(CheckpointStore.load(a).state().scalars().keySet()));
    }

    /** Issue 15 item 5: an empty trainer.json is named as such. */
    @Test
    void emptyTrainerJsonIsNamedAsEmpty() throws IOException {
        CheckpointStore store = new CheckpointStore(dir, 3);
        Path newest = twoCheckpoints(store);
        Files.write(newest.resolve("trainer.json"), new byte[0]);
        IOException e = assertThrows(IOException.class, () -> CheckpointStore.load(newest));
        assertTrue(e.getMessage().contains("trainer.json") && e.getMessage().contains("empty"), e.getMessage());
    }

    /** Hostile trainer.json contents behind a matching manifest: every one is a clear IOException. */
    @Test
    void malformedTrainerJsonGivesClearErrors() throws IOException {
        CheckpointStore store = new CheckpointStore(dir, 3);
        Path newest = twoCheckpoints(store);
        String[][] cases = {
            {"", "empty"},
            {"   \n", "must be a JSON object"},
            {"null", "must be a JSON object"},
            {"[1]", "must be a JSON object"},
            {"{\"format\": \"tessera-checkpoint\", \"version\": 1, \"step\": -2}", "step"},
            {"{\"format\": \"tessera-checkpoint\", \"version\": 1, \"step\": 2, \"rng\": [1]}", "rng"},
            {"{\"format\": \"tessera-checkpoint\", \"version\": 1, \"step\": 2, \"rng\": {}, \"data\": {}, \"scalars\": {\"x\": \"NaN\"}}", "'x'"},
            {"{\"format\": \"tessera-checkpoint\", \"version\": 1, \"step\": 2, \"rng\": {}, \"data\": {}, \"scalars\": {\"y\": 1e999}}", "'y'"},
            {"{\"format\": \"tessera-checkpoint\", \"version\": 1, \"step\": 2, \"rng\": {\"r\": [1e30]}, \"data\": {}, \"scalars\": {}}", "'r'[0]"},
            {"{\"format\": \"tessera-checkpoint\", \"version\": 1, \"step\": 2, \"step\": 3}", "step"},
            {"{\"format\": \"tessera-checkpoint\", \"version\": 1, \"step\": 2, \"rng\": {}, \"data\": {}}", "'scalars'"},
            {"{\"format\": \"tessera-checkpoint\", \"version\": 1, \"step\": 2} trailing", "trainer.json"},
            {"{\"format\": \"tessera-checkpoint\", \"version\": 1, \"step\": 2, \"rng\": {}, \"data\": {\"t\": [1.5]}}", "'t'[0]"},
        };
        for (String[] c : cases) {
            IOException e = assertThrows(IOException.class,
                    () -> CheckpointStore.parseTrainerJson(c[0].getBytes(java.nio.charset.StandardCharsets.UTF_8),
                            newest.resolve("trainer.json"), 2), c[0]);
            assertTrue(e.getMessage().contains("trainer.json") && e.getMessage().contains(c[1]), c[0] + " -> " + e.getMessage());
        }
    }

    @Test
    void nonFiniteScalarsAreRejectedWhenTheStateIsMade() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new TrainingState(1, Map.of(), Map.of(), Map.of("best", Double.NaN)));
        assertTrue(e.getMessage().contains("best") && e.getMessage().contains("NaN"), e.getMessage());
    }
}
