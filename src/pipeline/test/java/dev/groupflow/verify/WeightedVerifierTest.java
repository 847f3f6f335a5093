package dev.groupflow.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class WeightedVerifierTest {
    private static Verifier constant(double value, Map<String, Double> components) {
        return r -> CompletableFuture.completedFuture(new Reward(value, components, "const " + value));
    }

    private static Verifier failing(RuntimeException e) {
        return r -> CompletableFuture.failedFuture(e);
    }

    @Test
    void sumsWeightedRewardsAndNamesEachPart() {
        WeightedVerifier v = new WeightedVerifier(List.of(
                new WeightedVerifier.Part("math", 1.0, constant(1.0, Map.of())),
                new WeightedVerifier.Part("format", 0.2, constant(0.5, Map.of("tags", 0.5))),
                new WeightedVerifier.Part("length", 1.0, constant(-0.25, Map.of()))), WeightedVerifier.OnFailure.FAIL);
        Reward r = Requests.score(v, "x", "y");
        assertEquals(1.0 + 0.1 - 0.25, r.value(), 1e-12);
        assertEquals(Map.of("math", 1.0, "format", 0.5, "format.tags", 0.5, "length", -0.25), r.components());
        assertTrue(r.details().contains("math: const 1.0"), r.details());
    }

    @Test
    void aFailedPartFailsTheWholeByDefault() {
        WeightedVerifier v = new WeightedVerifier(List.of(
                new WeightedVerifier.Part("good", 1.0, constant(1.0, Map.of())),
                new WeightedVerifier.Part("bad", 1.0, failing(VerifierFailure.permanent("no answer")))),
                WeightedVerifier.OnFailure.FAIL);
        Throwable t = Requests.failure(v, Requests.of("x", "y"));
        assertTrue(t instanceof VerifierFailure f && !f.retryable() && t.getMessage().contains("part 'bad' failed"),
                String.valueOf(t));
        WeightedVerifier nan = new WeightedVerifier(List.of(
                new WeightedVerifier.Part("nan", 1.0, constant(Double.NaN, Map.of()))), WeightedVerifier.OnFailure.FAIL);
        assertTrue(Requests.failure(nan, Requests.of("x", "y")).getMessage().contains("reward NaN"));
    }

    @Test
    void withZeroPolicyAFailedPartCountsZero() {
        WeightedVerifier v = new WeightedVerifier(List.of(
                new WeightedVerifier.Part("good", 2.0, constant(1.0, Map.of())),
                new WeightedVerifier.Part("bad", 1.0, failing(new IllegalStateException("boom")))),
                WeightedVerifier.OnFailure.ZERO);
        Reward r = Requests.score(v, "x", "y");
        assertEquals(2.0, r.value());
        assertEquals(0.0, r.components().get("bad"));
        assertTrue(r.details().contains("part 'bad' failed: IllegalStateException: boom (counted 0)"), r.details());
    }

    @Test
    void throughVerifierCallsAFailedPartIsAFailedOutcomeNeverZero() {
        ScheduledExecutorService s = Executors.newSingleThreadScheduledExecutor();
        try {
            AtomicInteger calls = new AtomicInteger();
            Verifier flaky = r -> {
                calls.incrementAndGet();
                return CompletableFuture.failedFuture(new IllegalStateException("flaky"));
            };
            WeightedVerifier v = new WeightedVerifier(List.of(new WeightedVerifier.Part("f", 1.0, flaky)),
                    WeightedVerifier.OnFailure.FAIL);
            Outcome o = new VerifierCalls(v, Duration.ofSeconds(10), 2, Duration.ofMillis(1), s)
                    .call(Requests.of("x", "y")).toCompletableFuture().join();
            assertEquals(Outcome.Status.FAILED, o.status());
            assertFalse(o instanceof Outcome.Scored);
            // an ordinary exception stays retryable through the combination
            assertEquals(3, calls.get());
            Verifier timesOut = r -> CompletableFuture.failedFuture(new TimeoutException("slow service"));
            WeightedVerifier t = new WeightedVerifier(List.of(new WeightedVerifier.Part("t", 1.0, timesOut)),
                    WeightedVerifier.OnFailure.FAIL);
            Outcome to = new VerifierCalls(t, Duration.ofSeconds(10), 2, Duration.ofMillis(1), s)
                    .call(Requests.of("x", "y")).toCompletableFuture().join();
            assertEquals(Outcome.Status.TIMED_OUT, to.status());
            assertTrue(to.detail().contains("slow service"), to.detail());
        } finally {
            s.shutdownNow();
        }
    }
}
