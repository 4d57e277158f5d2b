package dev.tessera.bench.training;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.fail;

import ai.djl.ndarray.NDArray;
import dev.tessera.backend.Backend;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.factory.Nd4j;

/**
 * After three steps from the same parameters and gradients, every side of {@link AdamWBenchmark}
 * has moved every parameter by the same amount as Tessera's AdamW.
 */
class AdamWBenchmarkTest {
    private static final int STEPS = 3;

    /** Tessera's backend set-up must precede ND4J's first use (it picks the native build and BLAS). */
    @BeforeAll
    static void backend() {
        Backend.init();
    }

    /** Parameter changes (after − before), flattened in the model's order. */
    private static List<float[]> deltas(List<float[]> before, List<float[]> after) {
        List<float[]> out = new ArrayList<>();
        for (int i = 0; i < before.size(); i++) {
            float[] d = new float[before.get(i).length];
            for (int j = 0; j < d.length; j++) {
                d[j] = after.get(i)[j] - before.get(i)[j];
            }
            out.add(d);
        }
        return out;
    }

    /** Each change within 1e-3 relative (+ 2e-8 absolute, a few float ulps of a 0.02-sized weight). */
    private static void assertSameMoves(List<float[]> expected, List<float[]> actual, double rel, String what) {
        assertSameMoves(expected, actual, rel, what, null, 0);
    }

    /** As above, for the elements whose gradient is at least {@code minGrad} in magnitude (all when grads is null). */
    private static void assertSameMoves(List<float[]> expected, List<float[]> actual, double rel, String what,
            List<float[]> grads, double minGrad) {
        assertEquals(expected.size(), actual.size(), what + ": parameter count");
        for (int i = 0; i < expected.size(); i++) {
            for (int j = 0; j < expected.get(i).length; j++) {
                if (grads != null && Math.abs(grads.get(i)[j]) < minGrad) {
                    continue;
                }
                double e = expected.get(i)[j];
                double a = actual.get(i)[j];
                if (!(Math.abs(e - a) <= rel * Math.abs(e) + 2e-8)) {
                    fail(what + ": parameter " + i + " element " + j + " moved " + a + " but Tessera moved " + e);
                }
            }
        }
    }

    @Test
    void allSidesMoveTheParametersAlike() {
        Map<String, long[]> shapes = AdamWBenchmark.gptShapes();
        List<float[]> initial = new ArrayList<>();
        int i = 0;
        for (long[] s : shapes.values()) {
            initial.add(AdamWBenchmark.values(s, i++, false));
        }
        AdamWBenchmark b = new AdamWBenchmark();

        AdamWBenchmark.TesseraSide t = new AdamWBenchmark.TesseraSide();
        t.setUp();
        AdamWBenchmark.Nd4jSide naive = new AdamWBenchmark.Nd4jSide();
        naive.setUp();
        AdamWBenchmark.Nd4jSide nd4j = new AdamWBenchmark.Nd4jSide();
        nd4j.setUp();
        AdamWBenchmark.TorchSide pt = new AdamWBenchmark.TorchSide();
        pt.setUp();
        try {
            for (int s = 0; s < STEPS; s++) {
                b.tessera_adamwStep(t);
                b.naive_adamwStep(naive);
                b.nd4j_adamwStep(nd4j);
                b.pytorch_adamwStep(pt);
            }
            List<float[]> tessera = new ArrayList<>();
            t.params.values().forEach(p -> tessera.add(p.data().dup().data().asFloat()));
            List<float[]> naiveP = new ArrayList<>();
            naive.params.forEach(p -> naiveP.add(p.dup().data().asFloat()));
            List<float[]> nd4jP = new ArrayList<>();
            nd4j.params.forEach(p -> nd4jP.add(p.dup().data().asFloat()));
            List<float[]> torchP = new ArrayList<>();
            pt.params.values().forEach((NDArray p) -> torchP.add(p.toFloatArray()));

            List<float[]> expected = deltas(initial, tessera);
            assertSameMoves(expected, deltas(initial, naiveP), 1e-3, "naive");
            // ND4J, and DJL's AdamW (it folds the bias corrections into the rate it hands PyTorch's
            // kernel), add ε to √v rather than to √v̂, i.e. their ε acts as ε/√(1 − β2^t) of
            // torch.optim.AdamW's and Tessera's: for gradients near 1e-6 that changes the step by
            // percents. Their moves are compared where |g| ≥ 1e-4 (there the difference is < 1e-3 relative).
            List<float[]> grads = new ArrayList<>();
            int k = 0;
            for (long[] s : shapes.values()) {
                grads.add(AdamWBenchmark.values(s, k++, true));
            }
            assertSameMoves(expected, deltas(initial, nd4jP), 1e-3, "nd4j", grads, 1e-4);
            assertSameMoves(expected, deltas(initial, torchP), 1e-3, "pytorch", grads, 1e-4);
        } finally {
            pt.tearDown();
        }
    }

    @Test
    void naiveRejectsMismatchedGradients() {
        assertThrows(IllegalArgumentException.class, () -> new NaiveAdamW(List.of(Nd4j.zeros(2, 3)),
                List.of(Nd4j.zeros(3, 2)), 1e-3, 0.9, 0.95, 1e-8, 0.1));
    }
}
