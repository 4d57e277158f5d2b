package dev.tessera.rlhf.demo;

/**
 * Sizes and step counts of the RLHF demo on the synthetic task. {@link #defaults()} runs in a few
 * minutes on 2 cores.
 *
 * @param seed every random choice (data, initialisation, sampling) derives from it
 * @param nLayer GPT blocks
 * @param nEmbd GPT width
 * @param nHead attention heads
 * @param pretrainSteps next-token steps on the unlabelled corpus
 * @param sftSteps SFT steps on noisy demonstrations
 * @param rmSteps reward-model steps on K-wise rankings
 * @param ppoIterations PPO rollout batches
 * @param dpoSteps DPO steps
 * @param batch sequences per pretraining/SFT step, prompts per PPO rollout batch
 * @param klTarget target KL to the SFT model (nats per response) of the adaptive controller
 * @param ptxCoef PPO-ptx coefficient
 * @param heldOut held-out prompts for evaluation
 * @param ppoLearningRate AdamW learning rate of PPO
 */
public record DemoConfig(long seed, int nLayer, int nEmbd, int nHead, int pretrainSteps, int sftSteps, int rmSteps,
        int ppoIterations, int dpoSteps, int batch, double klTarget, double ptxCoef, int heldOut, double ppoLearningRate) {
    public DemoConfig {
        for (int v : new int[] {nLayer, nEmbd, nHead, batch, heldOut}) {
            if (v < 1) {
                throw new IllegalArgumentException("DemoConfig: sizes must be >= 1 but one is " + v);
            }
        }
        for (int v : new int[] {pretrainSteps, sftSteps, rmSteps, ppoIterations, dpoSteps}) {
            if (v < 0) {
                throw new IllegalArgumentException("DemoConfig: step counts must be >= 0 but one is " + v);
            }
        }
        if (!(klTarget > 0) || !(ptxCoef >= 0) || !(ppoLearningRate > 0)) {
            throw new IllegalArgumentException("DemoConfig: klTarget and ppoLearningRate must be > 0 and ptxCoef >= 0 but were "
                    + klTarget + ", " + ppoLearningRate + ", " + ptxCoef);
        }
    }

    /** 2 layers, 64 wide, 4 heads, batches of 64; the step counts of the reported run. */
    public static DemoConfig defaults() {
        return new DemoConfig(42, 2, 64, 4, 200, 200, 250, 25, 100, 64, 1.5, 0.5, 128, 2e-4);
    }

    public DemoConfig withSeed(long s) {
        return new DemoConfig(s, nLayer, nEmbd, nHead, pretrainSteps, sftSteps, rmSteps, ppoIterations, dpoSteps, batch,
                klTarget, ptxCoef, heldOut, ppoLearningRate);
    }

    /** The same pipeline with every stage shortened by {@code factor} (for tests). */
    public DemoConfig scaled(double factor) {
        return new DemoConfig(seed, nLayer, nEmbd, nHead, (int) (pretrainSteps * factor), (int) (sftSteps * factor),
                (int) (rmSteps * factor), Math.max(1, (int) (ppoIterations * factor)), (int) (dpoSteps * factor), batch,
                klTarget, ptxCoef, heldOut, ppoLearningRate);
    }
}
