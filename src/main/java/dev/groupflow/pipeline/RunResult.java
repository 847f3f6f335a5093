package dev.groupflow.pipeline;

/**
 * How a training run ended.
 *
 * @param steps learner steps completed (including those of earlier, resumed runs)
 * @param interrupted stopped on request (SIGINT/SIGTERM) before the configured steps
 * @param failure why it failed, or null
 * @param checkpointsFailed it stopped because checkpoints could not be written ({@link CheckpointsFailedException})
 */
public record RunResult(long steps, boolean interrupted, String failure, boolean checkpointsFailed) {

    public RunResult(long steps, boolean interrupted, String failure) {
        this(steps, interrupted, failure, false);
    }

    public boolean ok() {
        return failure == null;
    }
}
