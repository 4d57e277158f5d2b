package dev.tessera.nn;

import static dev.tessera.testing.GradCheck.check;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

/** Modules: hierarchical names, state dicts, train/eval, and gradient checks of every layer. */
class ModuleTest {

    /** A two-block MLP with a shared (tied) embedding, enough to exercise naming. */
    static final class TinyModel extends Module {
        final Embedding wte;
        final List<Block> h;
        final LayerNorm lnF;

        TinyModel(Rng rng, DataType dtype) {
            wte = registerModule("wte", new Embedding(7, 4, 0.02, rng, dtype));
            Module list = registerModule("h", new Module() {});
            h = List.of(new Block(rng, dtype), new Block(rng, dtype));
            for (int i = 0; i < h.size(); i++) {
                list.registerModule(String.valueOf(i), h.get(i));
            }
            lnF = registerModule("ln_f", new LayerNorm(4, 1e-5, dtype));
        }

        Tensor forward(INDArray ids) {
            Tensor x = wte.forward(ids);
            for (Block b : h) {
                x = b.forward(x);
            }
            return lnF.forward(x).matmul(wte.weight().transpose(0, 1)); // tied head
        }
    }

    static final class Block extends Module {
        final Linear fc;
        final RmsNorm norm;
        final DropoutLayer drop;

        Block(Rng rng, DataType dtype) {
            norm = registerModule("norm", new RmsNorm(4, 1e-6, dtype));
            fc = registerModule("fc", new Linear(4, 4, true, rng, dtype));
            drop = registerModule("drop", new DropoutLayer(0.5, rng));
        }

        Tensor forward(Tensor x) {
            return x.add(drop.forward(fc.forward(norm.forward(x)).gelu()));
        }
    }

    @Test
    void hierarchicalNamesInRegistrationOrder() {
        TinyModel m = new TinyModel(new Rng(1), DataType.FLOAT);
        assertEquals(List.of("wte.weight", "h.0.norm.weight", "h.0.fc.weight", "h.0.fc.bias", "h.1.norm.weight",
                "h.1.fc.weight", "h.1.fc.bias", "ln_f.weight", "ln_f.bias"), List.copyOf(m.namedParameters().keySet()));
        assertEquals(7 * 4 + 2 * (4 + 16 + 4) + 8, m.parameterCount());
    }

    @Test
    void stateDictRoundTripsAndValidates() {
        TinyModel a = new TinyModel(new Rng(1), DataType.FLOAT);
        TinyModel b = new TinyModel(new Rng(2), DataType.FLOAT);
        Map<String, INDArray> copy = new LinkedHashMap<>();
        a.stateDict().forEach((k, v) -> copy.put(k, v.dup()));
        b.loadStateDict(copy, true);
        b.stateDict().forEach((k, v) -> assertEquals(copy.get(k), v, k));
        assertNotSame(copy.get("wte.weight"), b.stateDict().get("wte.weight"));

        Map<String, INDArray> bad = new LinkedHashMap<>(copy);
        bad.put("h.0.fc.weight", Nd4j.zeros(DataType.FLOAT, 4, 5));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.loadStateDict(bad, true));
        assertTrue(e.getMessage().contains("h.0.fc.weight") && e.getMessage().contains("[4, 5]"), e.getMessage());

        Map<String, INDArray> partial = new LinkedHashMap<>(copy);
        partial.remove("ln_f.bias");
        partial.put("extra", Nd4j.zeros(1));
        e = assertThrows(IllegalArgumentException.class, () -> b.loadStateDict(partial, true));
        assertTrue(e.getMessage().contains("missing [ln_f.bias]") && e.getMessage().contains("unexpected [extra]"));
        assertEquals(List.of("extra", "ln_f.bias"), b.loadStateDict(partial, false));
    }

    @Test
    void aRejectedStateDictLeavesEveryParameterUntouched() {
        TinyModel a = new TinyModel(new Rng(1), DataType.FLOAT);
        TinyModel b = new TinyModel(new Rng(2), DataType.FLOAT);
        Map<String, INDArray> before = new LinkedHashMap<>();
        b.stateDict().forEach((k, v) -> before.put(k, v.dup()));
        // every entry but the last is valid and differs from b's values; the last has the wrong shape
        Map<String, INDArray> bad = new LinkedHashMap<>();
        a.stateDict().forEach((k, v) -> bad.put(k, v.dup()));
        bad.put("ln_f.bias", Nd4j.zeros(DataType.FLOAT, 9));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> b.loadStateDict(bad, true));
        assertTrue(e.getMessage().contains("ln_f.bias") && e.getMessage().contains("[9]"), e.getMessage());
        b.stateDict().forEach((k, v) -> assertEquals(before.get(k), v, k + " was overwritten by a rejected load"));

        // a null value under a parameter's name is an error, not a silent skip
        Map<String, INDArray> withNull = new LinkedHashMap<>();
        a.stateDict().forEach((k, v) -> withNull.put(k, v.dup()));
        withNull.put("h.1.fc.weight", null);
        e = assertThrows(IllegalArgumentException.class, () -> b.loadStateDict(withNull, false));
        assertTrue(e.getMessage().contains("h.1.fc.weight") && e.getMessage().contains("null"), e.getMessage());
        b.stateDict().forEach((k, v) -> assertEquals(before.get(k), v, k + " was overwritten by a rejected load"));

        // a non-numeric dtype cannot be cast into a parameter
        Map<String, INDArray> bool = new LinkedHashMap<>();
        a.stateDict().forEach((k, v) -> bool.put(k, v.dup()));
        bool.put("ln_f.weight", Nd4j.zeros(DataType.BOOL, 4));
        e = assertThrows(IllegalArgumentException.class, () -> b.loadStateDict(bool, true));
        assertTrue(e.getMessage().contains("ln_f.weight") && e.getMessage().contains("BOOL"), e.getMessage());
        b.stateDict().forEach((k, v) -> assertEquals(before.get(k), v, k + " was overwritten by a rejected load"));
    }

    @Test
    void evalModeDisablesDropoutAndTrainModeIsSeeded() {
        TinyModel m = new TinyModel(new Rng(3), DataType.FLOAT);
        INDArray ids = Nd4j.createFromArray(new int[][] {{1, 2, 3}});
        m.eval();
        assertEquals(m.forward(ids).data(), m.forward(ids).data());
        m.train(true);
        assertTrue(m.h.get(0).drop.isTraining());
        assertTrue(!m.forward(ids).data().equals(m.forward(ids).data()), "dropout should change the output in training");
    }

    @Test
    void randomSourcesHaveHierarchicalNamesForCheckpoints() {
        // TinyModel's blocks share one generator: it appears once, under its first name
        Rng one = new Rng(5);
        TinyModel shared = new TinyModel(one, DataType.FLOAT);
        assertEquals(List.of("h.0.drop.rng"), List.copyOf(shared.namedRngs().keySet()));
        assertSame(one, shared.namedRngs().get("h.0.drop.rng"));

        Rng a = new Rng(1);
        Rng b = new Rng(2);
        Module two = new Module() {
            {
                registerModule("x", new DropoutLayer(0.1, a));
                registerModule("y", new Module() {
                    {
                        registerModule("drop", new DropoutLayer(0.2, b));
                    }
                });
            }
        };
        Map<String, Rng> rngs = two.namedRngs();
        assertEquals(List.of("x.rng", "y.drop.rng"), List.copyOf(rngs.keySet()));
        assertSame(a, rngs.get("x.rng")); // the live generator, whose state a checkpoint saves
        assertSame(b, rngs.get("y.drop.rng"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new Module() {
            {
                registerModule("d", new DropoutLayer(0.1, a));
                registerRng("d", b);
            }
        });
        assertTrue(e.getMessage().contains("'d'"), e.getMessage());
        e = assertThrows(IllegalArgumentException.class, () -> new DropoutLayer(0.1, null));
        assertTrue(e.getMessage().contains("rng"), e.getMessage());
    }

    @Test
    void sharedParametersAppearOnceAndGetOneGradient() {
        Rng rng = new Rng(4);
        Linear shared = new Linear(3, 3, false, rng, DataType.DOUBLE);
        Module twice = new Module() {
            {
                registerModule("a", shared);
                registerModule("b", shared);
            }
        };
        assertEquals(List.of("a.weight"), List.copyOf(twice.namedParameters().keySet()));
        assertSame(shared.weight(), twice.parameters().get(0));
    }

    @Test
    void gradientChecksOfEveryLayer() {
        Rng rng = new Rng(5);
        Linear lin = new Linear(4, 3, true, rng, DataType.DOUBLE);
        Tensor x = Tensor.variable(rng.normal(DataType.DOUBLE, 0, 1, 2, 5, 4));
        check("Linear", t -> lin.forward(t[0]), x, lin.weight(), lin.bias());
        Embedding emb = new Embedding(6, 3, 1.0, rng, DataType.DOUBLE);
        INDArray ids = Nd4j.createFromArray(new long[][] {{0, 5, 5}, {2, 1, 0}});
        check("Embedding", t -> emb.forward(ids), emb.weight());
        LayerNorm ln = new LayerNorm(4, 1e-5, DataType.DOUBLE);
        ln.weight().data().assign(rng.normal(DataType.DOUBLE, 1, 0.3, 4));
        ln.bias().data().assign(rng.normal(DataType.DOUBLE, 0, 0.3, 4));
        check("LayerNorm", t -> ln.forward(t[0]), x, ln.weight(), ln.bias());
        RmsNorm rms = new RmsNorm(4, 1e-6, DataType.DOUBLE);
        check("RmsNorm", t -> rms.forward(t[0]), x, rms.weight());
        TinyModel m = new TinyModel(rng, DataType.DOUBLE);
        m.eval();
        check("TinyModel", t -> m.forward(Nd4j.createFromArray(new int[][] {{1, 2, 3}, {6, 0, 2}})),
                m.parameters().toArray(new Tensor[0]));
    }

    @Test
    void initialisersAreSeededAndScaled() {
        INDArray a = Init.normal(new Rng(9), DataType.DOUBLE, 0.02, 200, 50);
        INDArray b = Init.normal(new Rng(9), DataType.DOUBLE, 0.02, 200, 50);
        assertEquals(a, b);
        assertEquals(0.02, a.stdNumber().doubleValue(), 0.002);
        assertEquals(0.02 / Math.sqrt(8), Init.gpt2Residual(new Rng(1), DataType.DOUBLE, 4, 200, 50).stdNumber().doubleValue(), 0.001);
        double bound = Math.sqrt(6.0 / 250);
        assertTrue(Init.xavierUniform(new Rng(2), DataType.DOUBLE, 200, 50).amaxNumber().doubleValue() <= bound);
        assertEquals(Math.sqrt(2.0 / 200), Init.kaimingNormal(new Rng(3), DataType.DOUBLE, 200, 50).stdNumber().doubleValue(), 0.01);
        assertArrayEquals(new long[] {200, 50}, a.shape());
    }
}
