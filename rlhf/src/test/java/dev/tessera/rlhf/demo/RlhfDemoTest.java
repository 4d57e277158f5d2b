package dev.tessera.rlhf.demo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.tessera.rlhf.ppo.PpoStats;
import org.junit.jupiter.api.Test;

/** A shortened run of the whole pipeline (the CI version of the demo): every stage runs and reports finite figures. */
class RlhfDemoTest {

    @Test
    void shortenedPipelineRunsEveryStage() {
        DemoConfig c = new DemoConfig(7, 1, 32, 2, 20, 20, 10, 2, 5, 16, 1.0, 0.2, 16, 2e-4);
        RlhfDemo.Report r = RlhfDemo.run(c);
        assertEquals(2, r.ppo().size());
        for (PpoStats s : r.ppo()) {
            assertEquals(1.0, s.firstRatioMin(), 0);
            assertEquals(1.0, s.firstRatioMax(), 0);
            assertTrue(Double.isFinite(s.policyLoss()) && Double.isFinite(s.valueLoss()) && Double.isFinite(s.ptxLoss()));
        }
        for (double v : new double[] {r.pretrainLoss(), r.sftLoss(), r.rmTrainAccuracy(), r.rmHeldOutAccuracy(),
            r.sftGreedy().score(), r.ppoGreedy().score(), r.dpoGreedy().score(), r.ppoSampled().score(), r.ppoKl(), r.dpoKl()}) {
            assertTrue(Double.isFinite(v), "figure " + v);
        }
        assertTrue(r.sftGreedy().score() >= 0 && r.sftGreedy().score() <= 1);
        assertTrue(r.ppoSampled().prefixRate() >= 0 && r.ppoSampled().prefixRate() <= 1);
        assertTrue(r.table(c).contains("RM pairwise accuracy held-out") && r.table(c).contains("  PPO  "));
        assertEquals(4, r.samples().size());
    }
}
