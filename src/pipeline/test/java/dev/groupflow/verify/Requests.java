package dev.groupflow.verify;

import java.util.Map;
import java.util.concurrent.CompletionException;

/** Small helpers for verifier tests: requests and synchronous scoring. */
final class Requests {
    private Requests() {
    }

    static VerifyRequest of(String completion, String answer) {
        return new VerifyRequest("prompt", completion, answer, Map.of());
    }

    static Reward score(Verifier v, String completion, String answer) {
        return v.score(of(completion, answer)).toCompletableFuture().join();
    }

    /** The exception a verifier completed with (fails the test when it scored). */
    static Throwable failure(Verifier v, VerifyRequest request) {
        try {
            Reward r = v.score(request).toCompletableFuture().join();
            throw new AssertionError("expected a failure, got reward " + r.value() + " (" + r.details() + ")");
        } catch (CompletionException e) {
            return e.getCause();
        }
    }
}
