package dev.groupflow.verify;

import com.fasterxml.jackson.annotation.JsonSubTypes;
import com.fasterxml.jackson.annotation.JsonTypeInfo;
import java.util.Locale;
import java.util.Map;

/**
 * The result of verifying one completion, as the pipeline records it: {@link Scored} with a reward, {@link Failed}
 * or {@link TimedOut}. Only a scored outcome has a reward; failed and timed-out ones are left out of group
 * statistics (advantage 0) and counted in metrics, never read as reward 0.
 */
@JsonTypeInfo(use = JsonTypeInfo.Id.NAME)
@JsonSubTypes({@JsonSubTypes.Type(value = Outcome.Scored.class, name = "scored"),
        @JsonSubTypes.Type(value = Outcome.Failed.class, name = "failed"),
        @JsonSubTypes.Type(value = Outcome.TimedOut.class, name = "timed_out")})
public sealed interface Outcome permits Outcome.Scored, Outcome.Failed, Outcome.TimedOut {

    /** Which of the three an outcome is, as metrics and files name it ({@link #statusName}). */
    enum Status { SCORED, FAILED, TIMED_OUT }

    /** The verifier's details, or what went wrong. */
    String detail();

    /** Calls made (1 + retries used). */
    int attempts();

    /** Time from the first call to the outcome. */
    double latencyMillis();

    Status status();

    /** {@code scored}, {@code failed} or {@code timed_out}. */
    default String statusName() {
        return status().name().toLowerCase(Locale.ROOT);
    }

    /**
     * The verifier scored the completion.
     *
     * @param reward the reward (finite)
     * @param components named reward parts (empty when there is one)
     */
    record Scored(double reward, Map<String, Double> components, String detail, int attempts, double latencyMillis)
            implements Outcome {
        public Scored {
            components = components == null ? Map.of() : Map.copyOf(components);
        }

        @Override
        public Status status() {
            return Status.SCORED;
        }
    }

    /** The verifier failed (an exception, no reward, a non-finite reward), after the retries allowed. */
    record Failed(String detail, int attempts, double latencyMillis) implements Outcome {
        @Override
        public Status status() {
            return Status.FAILED;
        }
    }

    /** No answer within the deadline (the pipeline's own, or the verifier's). */
    record TimedOut(String detail, int attempts, double latencyMillis) implements Outcome {
        @Override
        public Status status() {
            return Status.TIMED_OUT;
        }
    }
}
