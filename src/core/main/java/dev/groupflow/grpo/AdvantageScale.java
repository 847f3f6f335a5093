package dev.groupflow.grpo;

/** How a centred reward {@code r − mean_group} is scaled into an advantage. */
public enum AdvantageScale {
    /** Divide by the group's unbiased std + 1e-4 (GRPO, DeepSeekMath). */
    GROUP,
    /** Divide by the whole batch's unbiased std + 1e-4 ("PPO Lite"; TRL {@code scale_rewards="batch"}). */
    BATCH,
    /** Do not divide (Dr. GRPO: the std normalisation biases towards easy and hard prompts). */
    NONE
}
