package dev.groupflow.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class VerifierCallsTest {
    private final ScheduledExecutorService scheduler = Executors.newSingleThreadScheduledExecutor();

    @AfterEach
    void stop() {
        scheduler.shutdownNow();
    }

    private Outcome call(Verifier v, int retries) {
        return new VerifierCalls(v, Duration.ofSeconds(10), retries, Duration.ofMillis(1), scheduler)
                .call(Requests.of("c", "a")).toCompletableFuture().join();
    }

    @Test
    void permanentFailuresAreNotRetried() {
        AtomicInteger calls = new AtomicInteger();
        Outcome o = call(r -> {
            calls.incrementAndGet();
            return CompletableFuture.failedFuture(VerifierFailure.permanent("no answer"));
        }, 3);
        assertEquals(Outcome.Status.FAILED, o.status());
        assertEquals(1, calls.get());
        assertEquals(1, o.attempts());
        assertEquals("VerifierFailure: no answer", o.detail());
    }

    @Test
    void retryableFailuresAreRetried() {
        AtomicInteger calls = new AtomicInteger();
        Outcome o = call(r -> calls.incrementAndGet() < 3
                ? CompletableFuture.failedFuture(new VerifierFailure("busy", true))
                : CompletableFuture.completedFuture(Reward.of(0.5)), 3);
        assertEquals(Outcome.Status.SCORED, o.status());
        assertEquals(0.5, ((Outcome.Scored) o).reward());
        assertEquals(3, o.attempts());
    }

    @Test
    void aVerifiersOwnTimeoutIsATimedOutOutcomeWithItsMessage() {
        AtomicInteger calls = new AtomicInteger();
        Outcome o = call(r -> {
            calls.incrementAndGet();
            return CompletableFuture.failedFuture(new TimeoutException("no reply within 5 ms"));
        }, 3);
        assertEquals(Outcome.Status.TIMED_OUT, o.status());
        assertEquals("no reply within 5 ms", o.detail());
        assertEquals(1, calls.get());
    }
}
