package dev.groupflow.grpo;

/** How per-token losses are reduced to the batch loss. */
public enum Aggregation {
    /** Mean over each sequence's tokens, then mean over sequences (DeepSeekMath GRPO; length-biased). */
    SEQ_MEAN_TOKEN_MEAN,
    /** Sum over all tokens of the batch divided by the batch's token count (DAPO; the default). */
    TOKEN_MEAN,
    /** Sum over all tokens divided by B × max completion length, a constant (Dr. GRPO). */
    SEQ_SUM_NORM
}
