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
 */
public record Outcome(Status status, Double reward, Map<String, Double> components, String detail, int attempts,
                      double latencyMillis) {

    public enum Status { SCORED, FAILED, TIMED_OUT }

    public Outcome {
        components = components == null ? Map.of() : Map.copyOf(components);
    }

    public boolean scored() {
        return status == Status.SCORED;
    }
}
