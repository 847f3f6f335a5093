package dev.groupflow.pipeline;

/**
 * How a training run ended: {@link Completed} (all steps done, or the data ran out), {@link Interrupted} (stopped on
 * request, SIGINT/SIGTERM, after a checkpoint) or {@link Failed}. Each carries the learner steps completed,
 * including those of earlier, resumed runs.
 */
public sealed interface RunResult permits RunResult.Completed, RunResult.Interrupted, RunResult.Failed {

    long steps();

    /** Whether the run ended without failing (completed or interrupted). */
    default boolean ok() {
        return !(this instanceof Failed);
    }

    record Completed(long steps) implements RunResult {
    }

    record Interrupted(long steps) implements RunResult {
    }

    /**
     * @param reason why, for people (the log has the details)
     * @param checkpointsFailed it stopped because checkpoints could not be written ({@link CheckpointsFailedException})
     */
    record Failed(long steps, String reason, boolean checkpointsFailed) implements RunResult {
        public Failed(long steps, String reason) {
            this(steps, reason, false);
        }
    }
}
