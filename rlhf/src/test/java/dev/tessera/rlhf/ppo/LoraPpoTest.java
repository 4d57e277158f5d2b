package dev.tessera.rlhf.ppo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.Rng;
import dev.tessera.nn.lora.LoraConfig;
import dev.tessera.rlhf.GoodTokenTask;
import dev.tessera.rlhf.TinyLm;
import dev.tessera.rlhf.model.LoraLm;
import dev.tessera.rlhf.model.ValueModel;
import dev.tessera.training.checkpoint.CheckpointStore;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;

class LoraPpoTest {
    @Test
    void adapterOnlyPpoRaisesTheRewardAndKeepsEveryBaseWeightBitIdentical(@TempDir Path dir) {
        TinyLm sft = new TinyLm(12, 16, 16, 4, DataType.FLOAT);
        Map<String, INDArray> base = new LinkedHashMap<>();
        sft.module().stateDict().forEach((k, v) -> base.put(k, v.dup()));
        LoraLm policy = LoraLm.attach(sft, new LoraConfig(4, 8, 0, List.of("mix", "out")), new Rng(5));
        PpoTrainer t = new PpoTrainer(policy, policy.base(), ValueModel.sharedTrunk(policy, new Rng(6)),
                GoodTokenTask::ruleScores, new FixedKlController(0.01),
                PpoConfig.defaults(32, 16, 4).withKlEstimator(dev.tessera.rlhf.math.KlEstimator.K3),
                PpoOptimization.of(0.05), GoodTokenTask.CHAT, null, new Rng(7));
        Rng rng = new Rng(13);
        double first = t.step(GoodTokenTask.prompts(rng, 32)).meanScore();
        double last = 0;
        for (int it = 0; it < 9; it++) {
            last = t.step(GoodTokenTask.prompts(rng, 32)).meanScore();
        }
        assertTrue(last > first + 0.1, first + " -> " + last);
        sft.module().stateDict().forEach((k, v) -> assertArrayEquals(base.get(k).data().asFloat(), v.dup().data().asFloat(),
                0f, k + " must not move"));
        // the checkpoint holds the modules' weights, not the adapters: refused rather than silently incomplete
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> t.checkpoint(new CheckpointStore(dir, 1)));
        assertTrue(e.getMessage().contains("lora_A"), e.getMessage());
    }
}
