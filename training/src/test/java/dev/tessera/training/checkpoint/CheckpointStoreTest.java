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

        Files.writeString(dir.resolve("step-00000001").resolve("trainer.json"),
                "{\"format\": \"tessera-checkpoint\", \"version\": 1, \"step\": 9}");
        IOException e = assertThrows(IOException.class, () -> CheckpointStore.load(dir.resolve("step-00000001")));
        assertTrue(e.getMessage().contains("does not match"), e.getMessage());
        assertTrue(store.latest().isEmpty());
    }
}
