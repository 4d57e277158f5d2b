package dev.tessera.nn.lora;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.io.SafeTensors;
import dev.tessera.nn.Linear;
import dev.tessera.nn.Module;
import dev.tessera.nn.Parameter;
import dev.tessera.testing.GradCheck;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class LoraTest {
    /** attn.q_proj, attn.v_proj, mlp.up_proj, mlp.down_proj: x → down(tanh(up(q(x) + v(x)))). */
    static final class Net extends Module {
        final Linear q, v, up, down;

        Net(long seed, DataType dt) {
            Rng rng = new Rng(seed);
            Block attn = registerModule("attn", new Block());
            Block mlp = registerModule("mlp", new Block());
            q = attn.add("q_proj", new Linear(6, 6, true, rng, dt));
            v = attn.add("v_proj", new Linear(6, 6, false, rng, dt));
            up = mlp.add("up_proj", new Linear(6, 10, true, rng, dt));
            down = mlp.add("down_proj", new Linear(10, 6, true, rng, dt));
        }

        Tensor forward(Tensor x) {
            return down.forward(up.forward(q.forward(x).add(v.forward(x))).tanh());
        }
    }

    static final class Block extends Module {
        Linear add(String name, Linear l) {
            return registerModule(name, l);
        }
    }

    private static final LoraConfig CFG = new LoraConfig(3, 6, 0, List.of("q_proj", "up_proj"));

    private static Tensor input(DataType dt) {
        return Tensor.constant(new Rng(99).normal(dt, 0, 1, 2, 4, 6)); // (B, T, C)
    }

    private static void randomiseB(Lora lora, long seed) {
        Rng rng = new Rng(seed);
        lora.namedParameters().forEach((name, p) -> {
            if (name.endsWith("lora_B")) {
                p.data().assign(rng.normal(p.dtype(), 0, 0.3, p.shape()));
            }
        });
    }

    private static INDArray out(Net net, Tensor x) {
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            return net.forward(x).data().dup();
        }
    }

    @Test
    void targetsMatchPathSuffixesAndAFreshAdapterChangesNothing() {
        Net net = new Net(1, DataType.DOUBLE);
        INDArray before = out(net, input(DataType.DOUBLE));
        Lora lora = Lora.attach(net, CFG, new Rng(2));
        assertEquals(List.of("attn.q_proj", "mlp.up_proj"), lora.paths());
        assertEquals(List.of("attn.q_proj.lora_A", "attn.q_proj.lora_B", "mlp.up_proj.lora_A", "mlp.up_proj.lora_B"),
                List.copyOf(lora.namedParameters().keySet()));
        assertArrayEquals(new long[] {6, 3}, lora.namedParameters().get("attn.q_proj.lora_A").shape());
        assertArrayEquals(new long[] {3, 10}, lora.namedParameters().get("mlp.up_proj.lora_B").shape());
        assertEquals((6 * 3 + 3 * 6) + (6 * 3 + 3 * 10), lora.parameterCount());
        assertArrayEquals(before.data().asDouble(), out(net, input(DataType.DOUBLE)).data().asDouble(), 0.0,
                "B = 0: a fresh adapter leaves the output exactly as it was");
        // A is uniform in ±1/√in (Kaiming-uniform with a = √5), not zero
        INDArray a = lora.namedParameters().get("mlp.up_proj.lora_A").data();
        assertTrue(a.amaxNumber().doubleValue() <= 1 / Math.sqrt(6) && a.amaxNumber().doubleValue() > 0.1);
        assertEquals(0.0, lora.namedParameters().get("mlp.up_proj.lora_B").data().amaxNumber().doubleValue(), 0);
        // the model's own parameters are unchanged in name and number
        assertEquals(7, net.namedParameters().size());
    }

    @Test
    void aFullPathTargetsOneLayer() {
        Net net = new Net(1, DataType.FLOAT);
        Lora lora = Lora.attach(net, new LoraConfig(2, 2, 0, List.of("mlp.down_proj")), new Rng(2));
        assertEquals(List.of("mlp.down_proj"), lora.paths());
    }

    @Test
    void anUnknownTargetIsRejectedListingTheLinearLayers() {
        Net net = new Net(1, DataType.FLOAT);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Lora.attach(net, new LoraConfig(2, 2, 0, List.of("q_proj", "c_attn")), new Rng(2)));
        assertTrue(e.getMessage().contains("'c_attn'") && e.getMessage().contains("[down_proj, q_proj, up_proj, v_proj]"),
                e.getMessage());
        assertNull(net.q.adapter(), "nothing is attached when a target fails");
    }

    @Test
    void configIsValidated() {
        assertThrows(IllegalArgumentException.class, () -> new LoraConfig(0, 1, 0, List.of("q")));
        assertThrows(IllegalArgumentException.class, () -> new LoraConfig(2, 0, 0, List.of("q")));
        assertThrows(IllegalArgumentException.class, () -> new LoraConfig(2, 1, 1.0, List.of("q")));
        assertThrows(IllegalArgumentException.class, () -> new LoraConfig(2, 1, 0, List.of()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new LoraConfig(2, 1, 0, List.of("q.")));
        assertTrue(e.getMessage().contains("'q.'"), e.getMessage());
        assertEquals(2.0, CFG.scaling(), 0);
    }

    @Test
    void adapterGradientsPassTheFloat64Check() {
        Net net = new Net(3, DataType.DOUBLE);
        Lora lora = Lora.attach(net, CFG, new Rng(4));
        randomiseB(lora, 5); // with B = 0 the gradient of A is 0 and the check would prove little
        Map<String, Parameter> p = lora.namedParameters();
        Tensor x = GradCheck.randomVariable(new Rng(6), 2, 3, 6);
        GradCheck.check("lora adapters", in -> net.forward(in[0]), x, p.get("attn.q_proj.lora_A"),
                p.get("attn.q_proj.lora_B"), p.get("mlp.up_proj.lora_A"), p.get("mlp.up_proj.lora_B"));
    }

    @Test
    void theBaseWeightsOfAdaptedLayersGetNoGradient() {
        Net net = new Net(3, DataType.DOUBLE);
        Lora lora = Lora.attach(net, CFG, new Rng(4));
        net.zeroGrad();
        net.forward(input(DataType.DOUBLE)).sum().backward();
        assertNull(net.q.weight().grad());
        assertNull(net.q.bias().grad());
        assertNull(net.up.weight().grad());
        assertTrue(net.v.weight().grad() != null, "a layer without adapter still trains");
        assertTrue(lora.namedParameters().get("attn.q_proj.lora_B").grad().amaxNumber().doubleValue() > 0);
    }

    @Test
    void mergedAndUnmergedGiveTheSameOutputAndUnmergeRestoresTheBase() {
        Net net = new Net(7, DataType.DOUBLE);
        INDArray baseW = net.up.weight().data().dup();
        INDArray baseOut = out(net, input(DataType.DOUBLE));
        Lora lora = Lora.attach(net, CFG, new Rng(8));
        randomiseB(lora, 9);
        INDArray adapted = out(net, input(DataType.DOUBLE));
        assertTrue(adapted.sub(baseOut).amaxNumber().doubleValue() > 1e-2, "the adapters matter");
        lora.merge();
        assertTrue(lora.merged());
        INDArray merged = out(net, input(DataType.DOUBLE));
        assertTrue(merged.sub(adapted).amaxNumber().doubleValue() < 1e-12, "merged = unmerged");
        assertThrows(IllegalStateException.class, lora::off, "the base model cannot be run while merged");
        assertThrows(IllegalStateException.class, lora::merge);
        lora.unmerge();
        assertTrue(net.up.weight().data().sub(baseW).amaxNumber().doubleValue() < 1e-14);
        assertTrue(out(net, input(DataType.DOUBLE)).sub(adapted).amaxNumber().doubleValue() < 1e-12);
        assertThrows(IllegalStateException.class, lora::unmerge);
    }

    @Test
    void floatMergeMatchesToFloatRounding() {
        Net net = new Net(7, DataType.FLOAT);
        Lora lora = Lora.attach(net, CFG, new Rng(8));
        randomiseB(lora, 9);
        INDArray adapted = out(net, input(DataType.FLOAT));
        lora.merge();
        assertTrue(out(net, input(DataType.FLOAT)).sub(adapted).amaxNumber().doubleValue() < 1e-5);
    }

    @Test
    void offRunsExactlyTheBaseModelAndRestoresTheSwitch() {
        Net net = new Net(10, DataType.DOUBLE);
        INDArray baseOut = out(net, input(DataType.DOUBLE));
        Lora lora = Lora.attach(net, CFG, new Rng(11));
        randomiseB(lora, 12);
        INDArray adapted = out(net, input(DataType.DOUBLE));
        try (Lora.Off ignored = lora.off()) {
            assertArrayEquals(baseOut.data().asDouble(), out(net, input(DataType.DOUBLE)).data().asDouble(), 0.0);
            assertTrue(!Linear.anyActiveAdapter(net));
        }
        assertTrue(lora.enabled() && Linear.anyActiveAdapter(net));
        assertArrayEquals(adapted.data().asDouble(), out(net, input(DataType.DOUBLE)).data().asDouble(), 0.0);
    }

    @Test
    void dropoutActsOnTheAdapterInputInTrainingOnly() {
        Net net = new Net(13, DataType.DOUBLE);
        Lora lora = Lora.attach(net, new LoraConfig(3, 6, 0.5, List.of("q_proj")), new Rng(14));
        randomiseB(lora, 15);
        net.eval();
        INDArray eval = out(net, input(DataType.DOUBLE));
        Net plain = new Net(13, DataType.DOUBLE);
        Lora same = Lora.attach(plain, new LoraConfig(3, 6, 0, List.of("q_proj")), new Rng(14));
        same.copyFrom(lora);
        assertArrayEquals(out(plain, input(DataType.DOUBLE)).data().asDouble(), eval.data().asDouble(), 1e-15,
                "eval mode: no dropout");
        net.train(true);
        assertNotEquals(0.0, out(net, input(DataType.DOUBLE)).sub(eval).amaxNumber().doubleValue());
        try (Lora.Off ignored = lora.off()) {
            INDArray a = out(net, input(DataType.DOUBLE));
            INDArray b = out(net, input(DataType.DOUBLE));
            assertArrayEquals(a.data().asDouble(), b.data().asDouble(), 0.0, "the base has no dropout of its own");
        }
    }

    @Test
    void adaptersAloneRoundTripThroughSafetensorsInPeftLayout(@TempDir Path dir) throws Exception {
        Net net = new Net(16, DataType.FLOAT);
        Lora lora = Lora.attach(net, new LoraConfig(3, 5, 0.1, List.of("q_proj", "up_proj")), new Rng(17));
        randomiseB(lora, 18);
        Path file = dir.resolve("adapter_model.safetensors");
        lora.save(file);

        SafeTensors.Content c = SafeTensors.read(file);
        assertEquals(4, c.tensors().size(), "adapters only, no base weight");
        INDArray peftA = c.tensors().get("base_model.model.mlp.up_proj.lora_A.weight");
        assertArrayEquals(new long[] {3, 6}, peftA.shape(), "PEFT's (r, in)");
        assertArrayEquals(new long[] {10, 3}, c.tensors().get("base_model.model.mlp.up_proj.lora_B.weight").shape());
        assertEquals("3", c.metadata().get("r"));
        assertEquals("q_proj,up_proj", c.metadata().get("target_modules"));

        Net other = new Net(16, DataType.FLOAT);
        Lora loaded = Lora.load(other, file, new Rng(99));
        assertEquals(lora.config(), loaded.config());
        lora.namedParameters().forEach((name, p) -> assertArrayEquals(p.data().data().asFloat(),
                loaded.namedParameters().get(name).data().dup().data().asFloat(), 0f, name));
        net.eval();
        other.eval();
        assertArrayEquals(out(net, input(DataType.FLOAT)).data().asFloat(), out(other, input(DataType.FLOAT)).data().asFloat(),
                0f);

        // into adapters of another shape: a clear error, nothing changed
        Net third = new Net(16, DataType.FLOAT);
        Lora wrong = Lora.attach(third, new LoraConfig(2, 5, 0, List.of("q_proj", "up_proj")), new Rng(1));
        INDArray before = wrong.namedParameters().get("attn.q_proj.lora_A").data().dup();
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> wrong.loadWeights(file));
        assertTrue(e.getMessage().contains("attn.q_proj.lora_A.weight") && e.getMessage().contains("[2, 6]"), e.getMessage());
        assertEquals(before, wrong.namedParameters().get("attn.q_proj.lora_A").data());
        Net fourth = new Net(16, DataType.FLOAT);
        Lora fewer = Lora.attach(fourth, new LoraConfig(3, 5, 0, List.of("q_proj")), new Rng(1));
        e = assertThrows(IllegalArgumentException.class, () -> fewer.loadWeights(file));
        assertTrue(e.getMessage().contains("unexpected [base_model.model.mlp.up_proj.lora_A.weight"), e.getMessage());
    }

    @Test
    void removeLeavesPlainTrainableLayers() {
        Net net = new Net(19, DataType.DOUBLE);
        Lora lora = Lora.attach(net, CFG, new Rng(20));
        randomiseB(lora, 21);
        INDArray adapted = out(net, input(DataType.DOUBLE));
        lora.merge();
        lora.remove();
        assertNull(net.q.adapter());
        assertTrue(out(net, input(DataType.DOUBLE)).sub(adapted).amaxNumber().doubleValue() < 1e-12, "merge and unload");
        assertThrows(IllegalStateException.class, lora::unmerge);
        net.zeroGrad();
        net.forward(input(DataType.DOUBLE)).sum().backward();
        assertTrue(net.q.weight().grad() != null);
    }
}
