package dev.groupflow.verify;

import java.util.concurrent.CompletionStage;

/**
 * Scores a completion. Implementations may be slow (an external service, a sandboxed program): they return a
 * stage that completes later and must not block the calling thread. Completing exceptionally means the score
 * could not be obtained; the caller turns that into a failed {@link Outcome}, never into reward 0.
 */
@FunctionalInterface
public interface Verifier {

    CompletionStage<Reward> score(VerifyRequest request);

    /** Frees resources (connections, processes) when the run ends. */
    default void close() {
    }
}
