package dev.groupflow.pipeline;

/**
 * How a training run ended.
 *
 * @param steps learner steps completed (including those of earlier, resumed runs)
 * @param interrupted stopped on request (SIGINT/SIGTERM) before the configured steps
 * @param failure why it failed, or null
 */
public record RunResult(long steps, boolean interrupted, String failure) {
    public boolean ok() {
        return failure == null;
    }
}
