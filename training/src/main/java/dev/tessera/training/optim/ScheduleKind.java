package dev.tessera.training.optim;

/**
 * Learning-rate schedule shapes. All start with a linear warmup lr = peak·(s + 1)/W for steps
 * s &lt; W (none when W = 0); then, with progress q = (s − W)/(S − W) clamped to [0, 1]:
 */
public enum ScheduleKind {
    /** lr = peak. */
    CONSTANT,
    /** lr = floor + (peak − floor)·½·(1 + cos(π·q)) (GPT-3, nanoGPT). */
    COSINE,
    /** lr = peak + (floor − peak)·q. */
    LINEAR,
    /**
     * Warmup-stable-decay: lr = peak until step S − D, then linearly to floor over the last D
     * steps (MiniCPM); D is {@link LrSchedule#decaySteps()}.
     */
    WARMUP_STABLE_DECAY
}
