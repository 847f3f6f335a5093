package dev.groupflow.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.testkit.TestScoringServer;
import java.net.InetAddress;
import java.net.ServerSocket;
import java.net.URI;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class HttpVerifierTest {
    private final ScheduledExecutorService scheduler = Executors.newScheduledThreadPool(2);
    private final TestScoringServer server;

    HttpVerifierTest() throws Exception {
        server = new TestScoringServer();
    }

    @AfterEach
    void stop() {
        server.close();
        scheduler.shutdownNow();
    }

    private HttpVerifier verifier(String path, Duration timeout, int retries, int concurrency, int maxBytes) {
        return new HttpVerifier(settings(server.url(path), timeout, retries, concurrency, maxBytes, 100,
                Duration.ofSeconds(30)), scheduler);
    }

    private static HttpVerifier.Settings settings(URI url, Duration timeout, int retries, int concurrency, int maxBytes,
                                                  int breakerFailures, Duration coolDown) {
        return new HttpVerifier.Settings(url, timeout, retries, Duration.ofMillis(5), concurrency, maxBytes,
                breakerFailures, coolDown);
    }

    private HttpVerifier verifier(String path) {
        return verifier(path, Duration.ofSeconds(10), 2, 4, 65536);
    }

    /** Through the same calls the pipeline makes (its own timeout 20 s, no retries of its own). */
    private Outcome call(Verifier v, String completion, String answer) {
        return new VerifierCalls(v, Duration.ofSeconds(20), 0, Duration.ofMillis(1), scheduler)
                .call(new VerifyRequest("p", completion, answer, Map.of("id", 7), 12)).toCompletableFuture().join();
    }

    @Test
    void aCorrectReplyIsScoredWithComponentsAndDetails() {
        Outcome o = call(verifier("/ok"), "42", "42");
        assertEquals(Outcome.Status.SCORED, o.status(), o.detail());
        assertEquals(1.0, ((Outcome.Scored) o).reward());
        assertEquals(Map.of("exact", 1.0), ((Outcome.Scored) o).components());
        assertEquals("compared", o.detail());
        assertEquals(0.0, ((Outcome.Scored) call(verifier("/ok"), "41", "42")).reward());
        // the request carries every field
        assertEquals("p", server.lastRequest.get("prompt").asText());
        assertEquals(7, server.lastRequest.get("metadata").get("id").asInt());
        assertEquals(12, server.lastRequest.get("completion_tokens").asInt());
    }

    @Test
    void aSlowReplyIsTimedOutNotRetried() {
        Outcome o = call(verifier("/slow", Duration.ofMillis(200), 2, 4, 65536), "x", "x");
        assertEquals(Outcome.Status.TIMED_OUT, o.status(), o.detail());
        assertFalse(o instanceof Outcome.Scored);
        assertTrue(o.detail().contains("no reply within 200 ms"), o.detail());
        assertEquals(1, server.hits("/slow"));
    }

    @Test
    void aDroppedConnectionIsRetriedThenFailed() {
        Outcome o = call(verifier("/drop"), "x", "x");
        assertEquals(Outcome.Status.FAILED, o.status(), o.detail());
        assertTrue(o.detail().contains("connection failed") && o.detail().contains("after 3 attempts"), o.detail());
        assertEquals(3, server.hits("/drop"));
    }

    @Test
    void serverErrorsAreRetriedThenFailed() {
        Outcome o = call(verifier("/500"), "x", "x");
        assertEquals(Outcome.Status.FAILED, o.status());
        assertTrue(o.detail().contains("HTTP 500") && o.detail().contains("internal error"), o.detail());
        assertEquals(3, server.hits("/500"));
    }

    @Test
    void clientErrorsAreNotRetried() {
        Outcome o = call(verifier("/404"), "x", "x");
        assertEquals(Outcome.Status.FAILED, o.status());
        assertTrue(o.detail().contains("HTTP 404"), o.detail());
        assertEquals(1, server.hits("/404"));
    }

    @Test
    void badRepliesFailAtOnce() {
        Map<String, String> expected = Map.of("/garbage", "is not JSON", "/nan", "is not JSON",
                "/infinite", "non-finite reward", "/string-reward", "no numeric \"reward\"",
                "/huge", "larger than 65536 bytes");
        expected.forEach((path, why) -> {
            Outcome o = call(verifier(path), "x", "x");
            assertEquals(Outcome.Status.FAILED, o.status(), path + ": " + o.detail());
            assertFalse(o instanceof Outcome.Scored);
            assertTrue(o.detail().contains(why), path + ": " + o.detail());
            assertEquals(1, server.hits(path), path);
        });
    }

    @Test
    void nothingListeningIsAFailure() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            port = s.getLocalPort();
        }
        HttpVerifier v = new HttpVerifier(settings(URI.create("http://127.0.0.1:" + port + "/"), Duration.ofSeconds(5),
                1, 2, 1024, 100, Duration.ofSeconds(30)), scheduler);
        Outcome o = call(v, "x", "x");
        assertEquals(Outcome.Status.FAILED, o.status());
        assertTrue(o.detail().contains("connection failed"), o.detail());
    }

    @Test
    void theBreakerOpensFailsFastThenClosesAfterATrial() {
        AtomicLong clock = new AtomicLong();
        HttpVerifier v = new HttpVerifier(settings(server.url("/flaky"), Duration.ofSeconds(10), 0, 4, 1024, 3,
                Duration.ofSeconds(30)), scheduler, clock::get);
        server.healthy.set(false);
        for (int i = 0; i < 3; i++) {
            assertTrue(call(v, "x", "x").detail().contains("HTTP 500"));
        }
        assertEquals(CircuitBreaker.State.OPEN, v.breakerState());
        Outcome fast = call(v, "x", "x");
        assertEquals(Outcome.Status.FAILED, fast.status());
        assertTrue(fast.detail().contains("circuit breaker open"), fast.detail());
        assertEquals(3, server.hits("/flaky"));
        // after the cool-down one trial goes through; it fails, so the breaker opens again
        clock.addAndGet(Duration.ofSeconds(31).toNanos());
        assertTrue(call(v, "x", "x").detail().contains("HTTP 500"));
        assertEquals(4, server.hits("/flaky"));
        assertEquals(CircuitBreaker.State.OPEN, v.breakerState());
        assertTrue(call(v, "x", "x").detail().contains("circuit breaker open"));
        // the service recovers: the next trial succeeds and closes it
        server.healthy.set(true);
        clock.addAndGet(Duration.ofSeconds(31).toNanos());
        Outcome trial = call(v, "x", "x");
        assertEquals(Outcome.Status.SCORED, trial.status(), trial.detail());
        assertEquals(0.25, ((Outcome.Scored) trial).reward());
        assertEquals(CircuitBreaker.State.CLOSED, v.breakerState());
        assertEquals(Outcome.Status.SCORED, call(v, "x", "x").status());
    }

    @Test
    void theConcurrencyCapIsNeverExceededAndWaitersHoldNoThread() {
        HttpVerifier v = verifier("/busy", Duration.ofSeconds(20), 0, 3, 1024);
        List<CompletableFuture<Reward>> calls = new ArrayList<>();
        for (int i = 0; i < 30; i++) {
            // returns at once although only 3 requests may be in flight: waiting holds no thread
            calls.add(v.score(Requests.of("c" + i, "a")).toCompletableFuture());
        }
        assertFalse(calls.get(29).isDone());
        for (CompletableFuture<Reward> c : calls) {
            assertEquals(0.5, c.join().value());
        }
        assertTrue(server.maxActive.get() <= 3, "max in flight " + server.maxActive.get());
        assertTrue(server.maxActive.get() >= 2, "requests never overlapped: " + server.maxActive.get());
        assertEquals(30, server.hits("/busy"));
    }
}
