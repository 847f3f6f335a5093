package dev.groupflow.verify;

import java.time.Duration;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeoutException;

/**
 * Calls a verifier with a timeout per call and retries with exponential backoff ({@link RetryingCalls}), and turns
 * whatever happens into an {@link Outcome}: a finite reward is scored; an exception, a null or a non-finite reward
 * is a failure (retried up to {@code retries} times, except a {@link VerifierFailure} that is not retryable);
 * running over {@code timeout}, or completing with a {@link TimeoutException} (a verifier's own deadline), is a
 * timed-out outcome (not retried). Nothing here blocks a thread.
 */
public final class VerifierCalls {
    private final Verifier verifier;
    private final RetryingCalls calls;

    public VerifierCalls(Verifier verifier, Duration timeout, int retries, Duration backoff,
                         ScheduledExecutorService scheduler) {
        this.verifier = verifier;
        this.calls = new RetryingCalls(timeout, retries, backoff, scheduler);
    }

    public CompletionStage<Outcome> call(VerifyRequest request) {
        return calls.call(() -> verifier.score(request), VerifierCalls::problem).thenApply(VerifierCalls::outcome);
    }

    private static String problem(Reward reward) {
        return reward == null ? "the verifier returned no reward"
                : !Double.isFinite(reward.value()) ? "non-finite reward " + reward.value() : null;
    }

    private static Outcome outcome(RetryingCalls.Result<Reward> r) {
        if (r instanceof RetryingCalls.Done<Reward> d) {
            return new Outcome.Scored(d.value().value(), d.value().components(), d.value().details(),
                    d.attempts(), d.millis(), d.value().answer());
        }
        if (r instanceof RetryingCalls.TimedOut<Reward> t) {
            return new Outcome.TimedOut(t.what(), t.attempts(), t.millis());
        }
        RetryingCalls.Failed<Reward> f = (RetryingCalls.Failed<Reward>) r;
        return new Outcome.Failed(f.problem(), f.attempts(), f.millis());
    }
}
