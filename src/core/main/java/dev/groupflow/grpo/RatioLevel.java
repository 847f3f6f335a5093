package dev.groupflow.grpo;

/** Whether the importance ratio is taken per token or per sequence. */
public enum RatioLevel {
    /** {@code exp(cur_t − old_t)} for each token (PPO, GRPO). */
    TOKEN,
    /** {@code exp(mean_t(cur_t − old_t))} shared by all tokens of a sequence (GSPO). */
    SEQUENCE
}
