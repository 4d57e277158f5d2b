package dev.tessera.core;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.host.HostMemory;
import dev.tessera.nn.Embedding;
import dev.tessera.nn.LayerNorm;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Parameter;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/**
 * Deterministic release of a step's memory ({@link Tensor#backwardAndFree}, {@link Tensor#freeGrad})
 * and the pool that makes it warm again ({@code HostMemory.newFloats}/{@code release}): same
 * gradients bit for bit, freed tensors fail clearly, and a training loop's memory stays flat
 * because every step is served from the blocks the previous step gave back.
 */
class StepMemoryTest {
    private static final int B = 2;
    private static final int T = 8;
    private static final int C = 32;
    private static final int V = 50;

    /** A small transformer-shaped model: embedding, layer norm, attention-like mixing, GELU MLP, residuals, logits. */
    private static final class Model {
        final Embedding emb;
        final LayerNorm ln1;
        final LayerNorm ln2;
        final Linear qk;
        final Linear up;
        final Linear gate;
        final Linear down;
        final Linear head;

        Model(long seed) {
            Rng rng = new Rng(seed);
            emb = new Embedding(V, C, 0.5, rng, DataType.FLOAT);
            ln1 = new LayerNorm(C, 1e-5, DataType.FLOAT);
            ln2 = new LayerNorm(C, 1e-5, DataType.FLOAT);
            qk = new Linear(C, C, true, rng, DataType.FLOAT);
            up = new Linear(C, 4 * C, true, rng, DataType.FLOAT);
            gate = new Linear(C, 4 * C, false, rng, DataType.FLOAT);
            down = new Linear(4 * C, C, true, rng, DataType.FLOAT);
            head = new Linear(C, V, false, rng, DataType.FLOAT);
        }

        List<Parameter> parameters() {
            List<Parameter> ps = new ArrayList<>();
            for (var m : List.of(emb, ln1, ln2, qk, up, gate, down, head)) {
                ps.addAll(m.parameters());
            }
            return ps;
        }

        /** Mean negative log-likelihood of the next id; also returns the logits through {@code logitsOut}. */
        Tensor loss(INDArray ids, INDArray targets, Tensor[] logitsOut) {
            Tensor x = emb.forward(ids); // (B, T, C)
            Tensor h = ln1.forward(x);
            Tensor q = qk.forward(h); // (B, T, C)
            Tensor scores = q.matmul(h.transpose(1, 2)).mul(1.0 / Math.sqrt(C)).softmax(-1); // (B, T, T)
            x = x.add(scores.matmul(h)); // residual
            Tensor h2 = ln2.forward(x);
            Tensor mlp = down.forward(up.forward(h2).gelu().add(gate.forward(h2).swiglu(up.forward(h2).geluTanh())));
            x = x.add(mlp).reshape(B * T, C);
            Tensor logits = head.forward(x); // (B*T, V)
            logitsOut[0] = logits;
            Tensor logp = logits.logSoftmax(-1);
            return logp.mul(Tensor.constant(targets)).sum().mul(-1.0 / (B * T));
        }
    }

    private static INDArray ids(long seed) {
        Rng rng = new Rng(seed);
        INDArray ids = Nd4j.create(DataType.INT64, B, T);
        for (int i = 0; i < B * T; i++) {
            ids.putScalar(i, rng.nextInt(V));
        }
        return ids;
    }

    private static INDArray oneHotTargets(INDArray ids) {
        INDArray t = Nd4j.zeros(DataType.FLOAT, B * T, V);
        for (int i = 0; i < B * T; i++) {
            t.putScalar(i, (ids.getLong((i + 1) % (B * T)) + 1) % V, 1f);
        }
        return t;
    }

    private static List<float[]> gradients(Model m) {
        List<float[]> gs = new ArrayList<>();
        for (Parameter p : m.parameters()) {
            gs.add(HostMemory.toFloatArray(p.grad()));
        }
        return gs;
    }

    private static void assertSameBits(List<float[]> expected, List<float[]> actual) {
        assertEquals(expected.size(), actual.size());
        for (int i = 0; i < expected.size(); i++) {
            assertArrayEquals(expected.get(i), actual.get(i), "gradient " + i); // exact: same ops, same order
        }
    }

    @BeforeEach
    void poolOn() {
        HostMemory.setPooling(true);
    }

    @AfterEach
    void poolOff() {
        HostMemory.setPooling(false);
    }

    @Test
    void backwardAndFreeGivesTheSameGradientsBitForBitWithAndWithoutThePool() {
        INDArray ids = ids(3);
        INDArray targets = oneHotTargets(ids);
        List<float[]> reference = null;
        for (boolean pooled : new boolean[] {false, true}) {
            HostMemory.setPooling(pooled);
            for (boolean free : new boolean[] {false, true}) {
                Model m = new Model(7);
                Tensor loss = m.loss(ids, targets, new Tensor[1]);
                if (free) {
                    loss.backwardAndFree();
                } else {
                    loss.backward();
                }
                List<float[]> g = gradients(m);
                if (reference == null) {
                    reference = g;
                } else {
                    assertSameBits(reference, g);
                }
            }
        }
    }

    @Test
    void freedTensorsFailClearlyAndLeavesAndTheLossStayValid() {
        Model m = new Model(11);
        INDArray ids = ids(5);
        Tensor[] logits = new Tensor[1];
        Tensor loss = m.loss(ids, oneHotTargets(ids), logits);
        double before = loss.item();
        loss.backwardAndFree();

        assertEquals(before, loss.item(), 0.0); // the root keeps its value
        for (Parameter p : m.parameters()) {
            assertFalse(p.isFreed());
            assertTrue(Double.isFinite(p.data().sumNumber().doubleValue())); // parameters untouched
            assertTrue(Double.isFinite(p.grad().sumNumber().doubleValue())); // gradients kept until freeGrad
        }
        assertTrue(logits[0].isFreed());
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> logits[0].data());
        assertTrue(e.getMessage().contains("backwardAndFree"), e.getMessage());
        IllegalStateException again = assertThrows(IllegalStateException.class, loss::backward);
        assertTrue(again.getMessage().contains("backwardAndFree"), again.getMessage());

        Parameter w = m.head.weight();
        INDArray g = w.grad();
        w.freeGrad();
        assertEquals(null, w.grad());
        assertTrue(HostMemory.isReleased(g));
        assertThrows(IllegalStateException.class, () -> g.sumNumber()); // ND4J's released check, not a crash
    }

    @Test
    void releasedPoolArrayFailsClearlyAndItsBlockIsReusedWarm() {
        INDArray a = HostMemory.newFloats(64, 32);
        a.assign(1.5);
        INDArray view = a.reshape(2048);
        long[] counts = HostMemory.poolCounts();
        assertTrue(HostMemory.release(view));
        assertFalse(HostMemory.release(a), "a second release of the same memory does nothing");
        assertThrows(IllegalStateException.class, () -> a.sumNumber());
        assertThrows(IllegalStateException.class, () -> HostMemory.floats(a));
        INDArray b = HostMemory.newFloats(32, 64); // same bytes: the released block
        assertEquals(counts[0] + 1, HostMemory.poolCounts()[0]);
        assertEquals(counts[1], HostMemory.poolCounts()[1]);
        b.assign(2.0);
        assertEquals(2.0 * 2048, b.sumNumber().doubleValue(), 0.0);
        // a slice does not own its buffer: releasing it does nothing
        assertFalse(HostMemory.release(b.getRow(0)));
        assertEquals(2.0 * 2048, b.sumNumber().doubleValue(), 0.0);
        assertTrue(HostMemory.release(b));
    }

    @Test
    void trainingMemoryStaysFlatOverManyStepsAndRepeatsBitForBit() {
        INDArray ids = ids(9);
        INDArray targets = oneHotTargets(ids);
        List<Double> plainLosses = run(ids, targets, false, 20); // no pool, memory left to the collector
        HostMemory.setPooling(true);
        long mallocsBefore = 0;
        long inUseAfterWarmup = -1;
        Model m = new Model(13);
        List<Double> losses = new ArrayList<>();
        for (int step = 0; step < 60; step++) {
            if (step == 3) {
                mallocsBefore = HostMemory.poolCounts()[1];
                inUseAfterWarmup = HostMemory.pooledBytesInUse();
            }
            losses.add(step(m, ids, targets, true));
            if (step >= 3) {
                // every block the step took was given back: nothing of it waits for the collector
                // (blocks other tests left to the collector may only make this smaller)
                assertTrue(HostMemory.pooledBytesInUse() <= inUseAfterWarmup, "pool bytes in use after step " + step
                        + ": " + HostMemory.pooledBytesInUse() + " > " + inUseAfterWarmup);
            }
        }
        // steps after warm-up are served entirely from the blocks earlier steps released, and the
        // pool's bound on idle memory (in-use high-water mark plus headroom) frees none of them
        assertEquals(mallocsBefore, HostMemory.poolCounts()[1], "new native blocks after warm-up");
        assertEquals(plainLosses, losses.subList(0, plainLosses.size()), "losses with and without freeing");
    }

    private static List<Double> run(INDArray ids, INDArray targets, boolean free, int steps) {
        HostMemory.setPooling(free);
        Model m = new Model(13);
        List<Double> losses = new ArrayList<>();
        for (int s = 0; s < steps; s++) {
            losses.add(step(m, ids, targets, free));
        }
        return losses;
    }

    /** One SGD step; with {@code free}, the graph and the gradients are freed deterministically. */
    private static double step(Model m, INDArray ids, INDArray targets, boolean free) {
        Tensor loss = m.loss(ids, targets, new Tensor[1]);
        double l = loss.item();
        if (free) {
            loss.backwardAndFree();
        } else {
            loss.backward();
        }
        for (Parameter p : m.parameters()) {
            p.data().subi(p.grad().mul(0.05));
            if (free) {
                p.freeGrad();
            } else {
                p.zeroGrad();
            }
        }
        return l;
    }
}
