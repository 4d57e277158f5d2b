package dev.tessera.rlhf.ppo;

import static dev.tessera.rlhf.GoodTokenTask.CHAT;
import static dev.tessera.rlhf.GoodTokenTask.prompts;
import static dev.tessera.rlhf.GoodTokenTask.ruleScores;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.core.GradMode;
import dev.tessera.core.Rng;
import dev.tessera.core.Tensor;
import dev.tessera.rlhf.GoodTokenTask;
import dev.tessera.rlhf.TinyLm;
import dev.tessera.rlhf.math.Entropy;
import dev.tessera.rlhf.math.KlEstimator;
import dev.tessera.rlhf.math.LogProbs;
import dev.tessera.rlhf.math.Masked;
import dev.tessera.rlhf.model.RewardModel;
import dev.tessera.rlhf.model.ValueModel;
import dev.tessera.training.loop.OnNonFinite;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.nd4j.linalg.api.buffer.DataType;
import org.nd4j.linalg.api.ndarray.INDArray;
import org.nd4j.linalg.factory.Nd4j;

class PpoTrainerTest {
    private record Setup(TinyLm policy, TinyLm reference, PpoTrainer trainer) {}

    private static Setup setup(PpoConfig config, KlController kl, double lr, long seed, java.util.function.Supplier<INDArray> ptx) {
        TinyLm policy = new TinyLm(12, 16, 16, seed, DataType.FLOAT);
        TinyLm reference = policy.copy();
        ValueModel value = ValueModel.sharedTrunk(policy, new Rng(seed + 1));
        PpoTrainer t = new PpoTrainer(policy, reference, value, GoodTokenTask::ruleScores, kl, config, PpoOptimization.of(lr), CHAT,
                ptx, new Rng(seed + 2));
        return new Setup(policy, reference, t);
    }

    @Test
    void ratioIsExactlyOneOnTheFirstMinibatchOfTheFirstEpoch() {
        Setup s = setup(PpoConfig.defaults(16, 4, 4), new FixedKlController(0.05), 0.02, 1, null);
        Rng rng = new Rng(10);
        for (int it = 0; it < 2; it++) {
            PpoStats st = s.trainer().step(prompts(rng, 16));
            assertEquals(1.0, st.firstRatioMin(), 0, "iteration " + it);
            assertEquals(1.0, st.firstRatioMax(), 0, "iteration " + it);
            assertEquals(16, st.minibatchSteps());
            // later minibatches see an updated policy: the ratio check is not vacuous
            assertTrue(st.approxKl() > 0, "approx KL after 16 steps: " + st.approxKl());
        }
    }

    @Test
    void earlyStopWhenKlToTheRolloutPolicyExceedsTheBound() {
        PpoConfig cfg = PpoConfig.defaults(16, 4, 4).withKlStopBound(1e-9);
        Setup s = setup(cfg, new FixedKlController(0.05), 0.05, 2, null);
        PpoStats st = s.trainer().step(prompts(new Rng(11), 16));
        // step 1 runs with ratio 1 (approx KL 0); step 2 measures KL > 1e-9 after the first update and stops
        assertTrue(st.earlyStopped());
        assertEquals(2, st.minibatchSteps());
        Setup unbounded = setup(PpoConfig.defaults(16, 4, 4), new FixedKlController(0.05), 0.05, 2, null);
        PpoStats full = unbounded.trainer().step(prompts(new Rng(11), 16));
        assertFalse(full.earlyStopped());
        assertEquals(4 * 4, full.minibatchSteps());
    }

    @Test
    void adaptiveKlControllerIsUpdatedWithTheMeasuredKl() {
        AdaptiveKlController kl = new AdaptiveKlController(0.1, 0.5, 100);
        Setup s = setup(PpoConfig.defaults(16, 8, 4), kl, 0.05, 3, null);
        Rng rng = new Rng(12);
        for (int it = 0; it < 3; it++) {
            double before = kl.beta();
            PpoStats st = s.trainer().step(prompts(rng, 16));
            assertEquals(before, st.beta(), 0, "rewards of this iteration use the current beta");
            double e = Math.max(-0.2, Math.min(0.2, st.klToReference() / 0.5 - 1));
            assertEquals(before * (1 + e * 16 / 100.0), kl.beta(), 1e-12);
        }
        FixedKlController fixed = new FixedKlController(0.07);
        Setup f = setup(PpoConfig.defaults(16, 8, 4), fixed, 0.05, 3, null);
        assertEquals(0.07, f.trainer().step(prompts(rng, 16)).beta(), 0);
        assertEquals(0.07, fixed.beta(), 0);
    }

    @Test
    void ppoRaisesTheRewardAndLeavesTheReferenceAlone() {
        Setup s = setup(PpoConfig.defaults(32, 16, 4).withKlEstimator(KlEstimator.K3), new FixedKlController(0.01), 0.05, 4, null);
        TinyLm frozen = s.reference().copy();
        Rng rng = new Rng(13);
        double first = s.trainer().step(prompts(rng, 32)).meanScore();
        double last = 0;
        for (int it = 0; it < 7; it++) {
            last = s.trainer().step(prompts(rng, 32)).meanScore();
        }
        assertTrue(last > first + 0.3, "mean rule score " + first + " -> " + last);
        assertTrue(s.reference().sameWeights(frozen), "the reference model must not change");
        assertFalse(s.policy().sameWeights(frozen));
    }

    @Test
    void ptxMixesInThePretrainingLoss() {
        Rng data = new Rng(5);
        java.util.function.Supplier<INDArray> ptx = () -> {
            int[][] ids = new int[4][8];
            for (int[] row : ids) {
                for (int j = 0; j < row.length; j++) {
                    row[j] = 4 + data.nextInt(6);
                }
            }
            return Nd4j.createFromArray(ids);
        };
        PpoConfig cfg = PpoConfig.defaults(16, 8, 2).withPtxCoef(0.5);
        Setup s = setup(cfg, new FixedKlController(0.05), 0.03, 6, ptx);
        PpoStats st = s.trainer().step(prompts(new Rng(14), 16));
        assertTrue(Double.isFinite(st.ptxLoss()) && st.ptxLoss() > 0, "ptx loss " + st.ptxLoss());
        assertTrue(Double.isNaN(setup(PpoConfig.defaults(16, 8, 2), new FixedKlController(0.05), 0.03, 6, null).trainer()
                .step(prompts(new Rng(14), 16)).ptxLoss()));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> setup(cfg, new FixedKlController(0.05), 0.03, 6, null));
        assertTrue(e.getMessage().contains("ptxCoef"), e.getMessage());
    }

    @Test
    void valueModelCanStartFromTheRewardModel() {
        TinyLm trunk = new TinyLm(12, 16, 16, 8, DataType.DOUBLE);
        RewardModel rm = new RewardModel(trunk, new Rng(9));
        INDArray ids = Nd4j.createFromArray(new int[][] {{1, 4, 2, 9, 3, 0}, {1, 5, 2, 9, 9, 3}});
        int[] lengths = {5, 6};
        rm.normalise(ids, lengths, 2);
        ValueModel v = ValueModel.copyOfRewardModel(rm);
        assertFalse(v.sharesPolicyTrunk());
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            INDArray scores = rm.scores(ids, lengths).data();
            INDArray values = v.values(null, ids).data(); // (B, T)
            assertEquals(scores.getDouble(0), values.getDouble(0, 4), 1e-12);
            assertEquals(scores.getDouble(1), values.getDouble(1, 5), 1e-12);
            ValueModel shared = ValueModel.sharedTrunkWithRewardHead(trunk, rm);
            assertTrue(shared.sharesPolicyTrunk());
            assertEquals(scores.getDouble(0), shared.values(trunk.hidden(ids, null), ids).data().getDouble(0, 4), 1e-12);
        }
    }

    @Test
    void aReferenceOverThePolicysParametersIsRejected() {
        TinyLm p = new TinyLm(12, 8, 16, 1, DataType.FLOAT);
        // a second model object over the same Parameters, and new Parameters over the same arrays
        for (TinyLm ref : List.of(p.alias(), p.storageAlias())) {
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> new PpoTrainer(p, ref,
                    ValueModel.sharedTrunk(p, new Rng(1)), GoodTokenTask::ruleScores, new FixedKlController(0.1),
                    PpoConfig.defaults(16, 8, 4), PpoOptimization.of(0.01), CHAT, null, new Rng(1)));
            assertTrue(e.getMessage().contains("reference") && e.getMessage().contains("wte"), e.getMessage());
        }
        new PpoTrainer(p, p.copy(), ValueModel.sharedTrunk(p, new Rng(1)), GoodTokenTask::ruleScores,
                new FixedKlController(0.1), PpoConfig.defaults(16, 8, 4), PpoOptimization.of(0.01), CHAT, null, new Rng(1));
    }

    @Test
    void logProbsKlAndEntropyUseTheSamplingTemperature() {
        double temperature = 0.5;
        PpoConfig cfg = PpoConfig.defaults(8, 8, 4).withEpochs(1).withTemperature(temperature);
        TinyLm policy = new TinyLm(12, 16, 16, 21, DataType.DOUBLE);
        TinyLm reference = new TinyLm(12, 16, 16, 22, DataType.DOUBLE);
        for (TinyLm m : List.of(policy, reference)) { // peaked next-token distributions, so that τ matters
            m.module().namedParameters().get("out.weight").data().muli(40);
        }
        PpoTrainer t = new PpoTrainer(policy, reference, ValueModel.sharedTrunk(policy, new Rng(23)), GoodTokenTask::ruleScores,
                new FixedKlController(0.05), cfg, PpoOptimization.of(1e-3), CHAT, null, new Rng(24));
        Rollouts ro = t.rollout(prompts(new Rng(25), 8));
        INDArray ids = ro.batch().ids();
        Tensor mask = Tensor.constant(ro.batch().targetMask(DataType.DOUBLE));
        long len = ids.size(1);
        double kl, klUntempered, entropy, entropyUntempered;
        try (GradMode.Scope ignored = GradMode.noGrad()) {
            Tensor pl = policy.forward(ids), rl = reference.forward(ids); // (B, T, V)
            Tensor ptl = pl.mul(1 / temperature), rtl = rl.mul(1 / temperature);
            kl = Masked.sum(LogProbs.ofSequence(ptl, ids).sub(LogProbs.ofSequence(rtl, ids)), mask).item() / 8;
            klUntempered = Masked.sum(LogProbs.ofSequence(pl, ids).sub(LogProbs.ofSequence(rl, ids)), mask).item() / 8;
            entropy = Masked.mean(Entropy.fromLogits(ptl.slice(1, 0, len - 1)), mask).item();
            entropyUntempered = Masked.mean(Entropy.fromLogits(pl.slice(1, 0, len - 1)), mask).item();
        }
        assertTrue(Math.abs(kl - klUntempered) > 1e-3 && Math.abs(entropy - entropyUntempered) > 1e-3,
                "the temperature must matter for this test: KL " + kl + " vs " + klUntempered);
        PpoStats st = t.optimise(ro, ruleScores(ro)); // one minibatch step: the entropy is the rollout policy's
        assertEquals(kl, st.klToReference(), 1e-9);
        assertEquals(entropy, st.entropy(), 1e-9);
        assertEquals(1.0, st.firstRatioMin(), 0);
    }

    @Test
    void nonFiniteScoresAreRejectedBeforeAnythingChanges() {
        Setup s = setup(PpoConfig.defaults(16, 8, 4).withShaping(new RewardShaping(0, 1, 5)), new FixedKlController(0.05), 0.05,
                9, null);
        Rollouts ro = s.trainer().rollout(prompts(new Rng(15), 16));
        TinyLm before = s.policy().copy();
        for (double bad : new double[] {Double.POSITIVE_INFINITY, Double.NaN}) {
            double[] scores = ruleScores(ro);
            scores[3] = bad;
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.trainer().optimise(ro, scores));
            assertTrue(e.getMessage().contains("scores[3]") && e.getMessage().contains(String.valueOf(bad)), e.getMessage());
        }
        assertEquals(0, s.trainer().iteration(), "a rejected iteration is not counted");
        assertTrue(s.policy().sameWeights(before));
    }

    @Test
    void nonFiniteGradientStopsByDefaultNamingTheStep() {
        Setup s = setup(PpoConfig.defaults(16, 8, 4), new FixedKlController(0.05), 0.05, 10, null);
        TinyLm before = s.policy().copy();
        s.policy().poisonGradients = true; // finite loss, NaN gradients
        IllegalStateException e = assertThrows(IllegalStateException.class, () -> s.trainer().step(prompts(new Rng(16), 16)));
        assertTrue(e.getMessage().contains("PPO iteration 1") && e.getMessage().contains("gradient"), e.getMessage());
        assertTrue(s.policy().sameWeights(before), "no update may be applied from a non-finite gradient");
    }

    @Test
    void theCriticHasItsOwnLearningRateAndProgressReachesTheListener() {
        TinyLm policy = new TinyLm(12, 16, 16, 31, DataType.FLOAT);
        ValueModel value = ValueModel.sharedTrunk(policy, new Rng(32));
        INDArray head = value.head().weight().data().dup();
        TinyLm before = policy.copy();
        PpoOptimization frozenCritic = PpoOptimization.of(0.02).withCriticLearningRate(0).withIterations(3);
        PpoTrainer t = new PpoTrainer(policy, policy.copy(), value, GoodTokenTask::ruleScores, new FixedKlController(0.05),
                PpoConfig.defaults(16, 8, 4), frozenCritic, CHAT, null, new Rng(33));
        List<dev.tessera.training.loop.StepMetrics> seen = new ArrayList<>();
        t.addListener(new dev.tessera.training.loop.TrainingListener() {
            @Override
            public void onStep(dev.tessera.training.loop.StepMetrics m) {
                seen.add(m);
            }
        });
        PpoStats st = t.step(prompts(new Rng(34), 16));
        assertTrue(st.minibatchSteps() > 0);
        assertTrue(!policy.sameWeights(before), "the policy learns at 0.02");
        assertEquals(head, value.head().weight().data(), "the critic's rate is 0: its head must not move");
        assertEquals(1, seen.size());
        assertEquals(1, seen.get(0).step());
        assertEquals(3, seen.get(0).maxSteps());
        assertEquals(0.02, seen.get(0).lr(), 0);
        assertEquals(0.0, seen.get(0).metric("critic_lr"), 0);
        assertEquals(st.meanScore(), seen.get(0).metric("score"), 0);
    }

    @Test
    void resumingFromACheckpointReproducesTheUninterruptedRun(@org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws java.io.IOException {
        PpoConfig cfg = PpoConfig.defaults(16, 8, 4).withEpochs(2);
        // uninterrupted: two iterations, β adapting
        Setup whole = setup(cfg, new AdaptiveKlController(0.05, 0.5, 50), 0.03, 41, null);
        whole.trainer().step(prompts(new Rng(51), 16));
        whole.trainer().step(prompts(new Rng(52), 16));

        // interrupted after one; a fresh trainer with other initial weights and generator resumes
        Setup first = setup(cfg, new AdaptiveKlController(0.05, 0.5, 50), 0.03, 41, null);
        first.trainer().step(prompts(new Rng(51), 16));
        dev.tessera.training.checkpoint.CheckpointStore store = new dev.tessera.training.checkpoint.CheckpointStore(dir, 2);
        first.trainer().checkpoint(store);
        TinyLm policy = new TinyLm(12, 16, 16, 77, DataType.FLOAT);
        AdaptiveKlController kl = new AdaptiveKlController(0.05, 0.5, 50);
        PpoTrainer resumed = new PpoTrainer(policy, first.reference(), ValueModel.sharedTrunk(policy, new Rng(78)),
                GoodTokenTask::ruleScores, kl, cfg, PpoOptimization.of(0.03), CHAT, null, new Rng(79));
        resumed.restore(store.latest().orElseThrow());
        assertEquals(1, resumed.iteration());
        assertEquals(first.trainer().klController().beta(), kl.beta(), 0);
        resumed.step(prompts(new Rng(52), 16));
        assertTrue(policy.sameWeights(whole.policy()), "resumed policy differs from the uninterrupted run's");
        assertEquals(whole.trainer().klController().beta(), kl.beta(), 0);
        assertTrue(!first.policy().sameWeights(whole.policy()), "one iteration must differ from two, or the test proves nothing");
    }

    @Test
    void badInputIsRejected() {
        Setup s = setup(PpoConfig.defaults(16, 8, 4), new FixedKlController(0.05), 0.03, 7, null);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> s.trainer().step(prompts(new Rng(1), 8)));
        assertTrue(e.getMessage().contains("rolloutBatch = 16"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> PpoConfig.defaults(16, 5, 4));
        assertThrows(IllegalArgumentException.class, () -> PpoConfig.defaults(16, 8, 4).withKlStopBound(0));
        TinyLm p = new TinyLm(12, 8, 16, 1, DataType.FLOAT);
        assertThrows(IllegalArgumentException.class, () -> new PpoTrainer(p, p, ValueModel.sharedTrunk(p, new Rng(1)),
                GoodTokenTask::ruleScores, new FixedKlController(0.1), PpoConfig.defaults(16, 8, 4), PpoOptimization.of(0.01),
                CHAT, null, new Rng(1)));
    }

    @Test
    void nonFiniteStepsCanBeSkippedInstead() {
        TinyLm policy = new TinyLm(12, 16, 16, 11, DataType.FLOAT);
        PpoTrainer t = new PpoTrainer(policy, policy.copy(), ValueModel.sharedTrunk(policy, new Rng(12)), GoodTokenTask::ruleScores,
                new FixedKlController(0.05), PpoConfig.defaults(16, 8, 4).withEpochs(2),
                PpoOptimization.of(0.05).withOnNonFinite(OnNonFinite.SKIP_STEP), CHAT, null, new Rng(13));
        TinyLm before = policy.copy();
        policy.poisonGradients = true;
        PpoStats st = t.step(prompts(new Rng(17), 16));
        assertEquals(0, st.minibatchSteps());
        assertEquals(4, st.skippedSteps(), "2 epochs x 2 minibatches, all skipped");
        assertTrue(Double.isNaN(st.policyLoss()), "no applied step to average over");
        assertTrue(policy.sameWeights(before));
        assertEquals(1, t.iteration());
    }
}
