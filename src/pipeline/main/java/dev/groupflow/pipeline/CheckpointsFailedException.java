package dev.groupflow.pipeline;

import dev.groupflow.grpo.TrainingHaltedException;

/**
 * The run stops because its checkpoints cannot be written: {@code checkpoint.max-consecutive-failures} periodic
 * ones failed in a row, or the final one failed. Training on would only add steps that no checkpoint holds.
 */
public final class CheckpointsFailedException extends TrainingHaltedException {
    private static final long serialVersionUID = 1L;

    public CheckpointsFailedException(String message) {
        super(message);
    }
}
