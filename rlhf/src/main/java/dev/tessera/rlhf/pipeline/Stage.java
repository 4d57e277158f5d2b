package dev.tessera.rlhf.pipeline;

/** The pipeline's stages, in the order they run. */
public enum Stage {
    TOKENIZER("tokenizer"),
    PRETRAIN("pretrain"),
    SFT("sft"),
    RANKINGS("rankings"),
    REWARD_MODEL("reward model"),
    PPO("ppo"),
    DPO("dpo"),
    GRPO("grpo"),
    EVALUATION("evaluation");

    private final String label;

    Stage(String label) {
        this.label = label;
    }

    /** A short lower-case name for progress lines and reports. */
    public String label() {
        return label;
    }
}
