package dev.groupflow.verify;

import java.util.Map;

/**
 * The result of verifying one completion, as the pipeline records it. Only {@link Status#SCORED} outcomes carry a
 * reward; failed and timed-out ones are left out of group statistics (advantage 0) and counted in metrics.
 *
 * @param status scored, failed or timed out
 * @param reward the reward when scored, else null
 * @param components named reward parts when scored
 * @param detail the verifier's details, or what went wrong
 * @param attempts calls made (1 + retries used)
 * @param latencyMillis time from the first call to the outcome
 * @param answer the completion's canonical answer when scored and the verifier reads one ({@link Reward#answer}),
 *     else null
 */
public record Outcome(Status status, Double reward, Map<String, Double> components, String detail, int attempts,
                      double latencyMillis, String answer) {

    public enum Status { SCORED, FAILED, TIMED_OUT }

    public Outcome {
        components = components == null ? Map.of() : Map.copyOf(components);
    }

    /** An outcome without a canonical answer. */
    public Outcome(Status status, Double reward, Map<String, Double> components, String detail, int attempts,
                   double latencyMillis) {
        this(status, reward, components, detail, attempts, latencyMillis, null);
    }

    public boolean scored() {
        return status == Status.SCORED;
    }
}
