package dev.groupflow.model;

/**
 * How a model trades compute for memory when it computes log-probabilities (the settings {@code memory.*}).
 *
 * @param logitsChunkBytes most bytes of float32 logits ([rows, V]) alive at once: the LM head and log-softmax run
 *     over that many rows at a time in the learner (forward and backward) and the reference model, never over the
 *     whole [B, C, V] (the sampler only ever computes one row of logits per sequence)
 * @param recompute keep only each decoder layer's input during the forward pass and run the layer again, under
 *     autograd, when the backward pass reaches it (activation checkpointing per layer)
 */
public record TrainingMemory(long logitsChunkBytes, boolean recompute) {
    /** 128 MiB of logits per chunk (220 rows of a 151,936-id vocabulary), no recomputation. */
    public static final TrainingMemory DEFAULT = new TrainingMemory(128L << 20, false);

    public TrainingMemory {
        if (logitsChunkBytes < 1) {
            throw new IllegalArgumentException("logitsChunkBytes must be positive");
        }
    }

    /** Rows of logits of a {@code vocab}-id vocabulary per chunk (at least one). */
    public int rowsPerChunk(int vocab) {
        return (int) Math.max(1, Math.min(Integer.MAX_VALUE, logitsChunkBytes / ((long) vocab * Float.BYTES)));
    }
}
