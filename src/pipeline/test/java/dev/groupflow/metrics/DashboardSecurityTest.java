package dev.groupflow.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.pipeline.LockstepControl;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The dashboard against other local programs and other pages (issue 12, item 3), with a real server on 127.0.0.1
 * and a real HTTP client: without the run's token nothing is read or pressed, a foreign {@code Origin} is refused
 * even with the token, actions are rate-limited and checkpoint requests merge.
 */
class DashboardSecurityTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final RunMonitor monitor = new RunMonitor(new PipelineGauges(), 100, "lockstep", "/runs/x", 10);
    private final LockstepControl control = new LockstepControl();
    private Dashboard dashboard;
    private DashboardClient client;

    private void start(int actionsPerMinute) {
        dashboard = Dashboard.start(monitor, DashboardClient.settings(10, 16, actionsPerMinute),
                DashboardToken.random());
        client = new DashboardClient(dashboard);
        monitor.control(control);
    }

    @AfterEach
    void stop() {
        if (dashboard != null) {
            dashboard.close();
        }
    }

    private HttpResponse<String> pauseWith(HttpRequest.Builder request) throws Exception {
        return client.send(request.POST(HttpRequest.BodyPublishers.noBody()));
    }

    @Test
    void actionsWithoutTheTokenOrFromAnotherOriginAreRefused() throws Exception {
        start(1000);
        String own = client.origin();
        // another local process: no Origin, no token
        assertEquals(401, pauseWith(client.without("api/pause")).statusCode());
        // a Referer (of the dashboard itself, even) is no token
        assertEquals(401, pauseWith(client.without("api/pause").header("Referer", own + "/")).statusCode());
        // the page's own origin does not stand in for the token either
        assertEquals(401, pauseWith(client.without("api/pause").header("Origin", own)).statusCode());
        // a wrong token, in the header, in Authorization and in the query
        String wrong = DashboardToken.random().value();
        assertEquals(401, pauseWith(client.without("api/pause").header(DashboardAccess.HEADER, wrong)).statusCode());
        assertEquals(401, pauseWith(client.without("api/pause").header("Authorization", "Bearer " + wrong))
                .statusCode());
        assertEquals(401, pauseWith(client.without("api/pause?token=" + wrong)).statusCode());
        // the right token one character short
        String token = dashboard.token().value();
        assertEquals(401, pauseWith(client.without("api/pause")
                .header(DashboardAccess.HEADER, token.substring(0, token.length() - 1))).statusCode());
        // pages of other origins are refused even with the token: another port, the user-info trick, https,
        // the default port, the opaque origin of a sandboxed frame or a file
        for (String origin : List.of("http://localhost:9999", "http://127.0.0.1:9999",
                "http://evil.example@127.0.0.1", "http://evil.example@127.0.0.1:" + dashboard.port(),
                "https://127.0.0.1:" + dashboard.port(), "http://127.0.0.1", "null", "http://evil.example")) {
            HttpResponse<String> r = client.post("api/pause", origin);
            assertEquals(403, r.statusCode(), origin + ": " + r.body());
        }
        assertFalse(control.paused(), "no refused request paused the run");

        // the page (its own origin and the token) and a script such as curl (the token, no Origin) are obeyed
        assertEquals(200, client.post("api/pause", own).statusCode());
        assertTrue(control.paused());
        assertEquals(200, client.post("api/resume", null).statusCode());
        assertFalse(control.paused());
        assertEquals(200, pauseWith(client.without("api/pause").header("Authorization", "Bearer " + token))
                .statusCode());
        assertEquals(200, pauseWith(client.without("api/resume?token=" + token)).statusCode());
        assertFalse(control.paused());
    }

    @Test
    void readsOfTheRunNeedTheTokenButThePageAndPrometheusDoNot() throws Exception {
        start(1000);
        for (String path : List.of("api/status", "api/metrics", "api/metrics?last=1", "api/completions", "events")) {
            HttpResponse<String> r = client.send(client.without(path).GET());
            assertEquals(401, r.statusCode(), path);
            assertFalse(r.body().contains("/runs/x"), path + " shows nothing of the run: " + r.body());
            assertEquals(401, client.send(client.without(path).header(DashboardAccess.HEADER, "x".repeat(43)).GET())
                    .statusCode(), path + " with a wrong token");
        }
        assertEquals(200, client.get("api/status").statusCode());
        assertEquals(200, client.send(client.without("api/status?token=" + dashboard.token().value()).GET())
                .statusCode());
        for (String path : List.of("", "dashboard.js", "dashboard.css", "metrics")) {
            assertEquals(200, client.send(client.without(path).GET()).statusCode(), path);
        }
        // Prometheus is read-only: no action answers there
        assertEquals(405, client.send(client.without("metrics").POST(HttpRequest.BodyPublishers.noBody()))
                .statusCode());
        // a foreign origin cannot read anything, the token notwithstanding; DNS rebinding still gets 403
        assertEquals(403, client.send(client.withToken("api/status").header("Origin", "http://localhost:9999").GET())
                .statusCode());
        assertTrue(client.rawExchange("GET", "api/status?token=" + dashboard.token().value(),
                "Host: evil.example:" + dashboard.port()).startsWith("HTTP/1.1 403"));
    }

    @Test
    void concurrentCheckpointRequestsLeaveOnePending() throws Exception {
        start(1000);
        int n = 24;
        CountDownLatch go = new CountDownLatch(1);
        List<CompletableFuture<HttpResponse<String>>> replies = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            replies.add(CompletableFuture.supplyAsync(() -> {
                try {
                    go.await();
                    return client.post("api/checkpoint", client.origin());
                } catch (Exception e) {
                    throw new IllegalStateException(e);
                }
            }, runnable -> new Thread(runnable).start()));
        }
        go.countDown();
        int registered = 0;
        int merged = 0;
        for (CompletableFuture<HttpResponse<String>> f : replies) {
            HttpResponse<String> r = f.get(60, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode(), r.body());
            JsonNode body = JSON.readTree(r.body());
            assertTrue(body.get("ok").asBoolean(), r.body());
            if (body.path("merged").asBoolean()) {
                merged++;
                assertTrue(body.get("message").asText().contains("already pending"), r.body());
            } else {
                registered++;
            }
        }
        // nothing takes the request here (no trainer runs), so exactly one is pending and the rest joined it
        assertEquals(1, registered, "requests registered");
        assertEquals(n - 1, merged);
    }

    @Test
    void actionsBeyondTheRateGet429WithRetryAfter() throws Exception {
        start(5);
        // refused requests cost nothing: a local process without the token cannot use up the buttons
        for (int i = 0; i < 10; i++) {
            assertEquals(401, pauseWith(client.without("api/pause")).statusCode());
        }
        for (int i = 0; i < 5; i++) {
            assertEquals(200, client.post(i % 2 == 0 ? "api/pause" : "api/resume", client.origin()).statusCode());
        }
        assertTrue(control.paused());
        HttpResponse<String> limited = client.post("api/resume", client.origin());
        assertEquals(429, limited.statusCode(), limited.body());
        long retryAfter = Long.parseLong(limited.headers().firstValue("Retry-After").orElseThrow());
        assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After: " + retryAfter);
        assertTrue(limited.body().contains("dashboard.actions-per-minute"), limited.body());
        assertTrue(control.paused(), "the refused resume did nothing");
    }

    @Test
    void theLimiterAdmitsPerMinuteInAnySixtySeconds() {
        AtomicLong now = new AtomicLong(1_000);
        ActionLimiter limiter = new ActionLimiter(3, now::get);
        long second = TimeUnit.SECONDS.toNanos(1);
        assertEquals(0, limiter.tryAcquire());
        now.addAndGet(10 * second);
        assertEquals(0, limiter.tryAcquire());
        assertEquals(0, limiter.tryAcquire());
        // the first was 10 s ago: 50 s until the oldest leaves the window
        assertEquals(50, limiter.tryAcquire());
        now.addAndGet(50 * second - 1);
        assertEquals(1, limiter.tryAcquire(), "a fraction of a second is rounded up");
        now.addAndGet(1);
        assertEquals(0, limiter.tryAcquire());
        assertEquals(10, limiter.tryAcquire(), "the next two are 10 s from leaving");
        assertThrows(IllegalArgumentException.class, () -> new ActionLimiter(0, now::get));
    }

    @Test
    void originsAreComparedBySchemeHostAndPort() {
        DashboardAccess.Endpoint own = DashboardAccess.parse("http://127.0.0.1:8321").orElseThrow();
        assertTrue(DashboardAccess.sameOrigin("http://127.0.0.1:8321", own));
        assertTrue(DashboardAccess.sameOrigin("HTTP://127.0.0.1:8321", own));
        for (String other : List.of("http://127.0.0.1:8322", "http://localhost:8321", "https://127.0.0.1:8321",
                "http://evil.example@127.0.0.1:8321", "http://127.0.0.1:8321@evil.example", "http://127.0.0.1",
                "http://127.0.0.1:8321/path", "http://127.0.0.1:8321?q", "null", "", "127.0.0.1:8321",
                "http://127.0.0.1.evil.example:8321", "http://[::1]:8321", "ws://127.0.0.1:8321")) {
            assertFalse(DashboardAccess.sameOrigin(other, own), other);
        }
        DashboardAccess.Endpoint v6 = DashboardAccess.parse("http://[::1]:8321").orElseThrow();
        assertTrue(DashboardAccess.sameOrigin("http://[::1]:8321", v6));
        assertEquals(80, DashboardAccess.parse("http://localhost").orElseThrow().port());
    }

    @Test
    void tokensAreRandomAndFixedOnesMustBeStrong() {
        DashboardToken a = DashboardToken.random();
        DashboardToken b = DashboardToken.random();
        assertNotEquals(a.value(), b.value());
        assertEquals(43, a.value().length(), "256 bits, URL-safe base64");
        assertNull(DashboardToken.problem(a.value()));
        assertTrue(a.matches(a.value()));
        assertFalse(a.matches(b.value()));
        assertFalse(a.matches(null));
        assertFalse(a.toString().contains(a.value()), "toString never shows the secret");
        assertEquals("my-fixed-token-0123", DashboardToken.of("my-fixed-token-0123").value());
        assertNotNull(DashboardToken.problem("short"));
        assertNotNull(DashboardToken.problem("has spaces in it, sixteen+"));
        assertNotNull(DashboardToken.problem("needs&escaping=0123456789"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> DashboardToken.of("short"));
        assertTrue(e.getMessage().contains("16"), e.getMessage());
    }
}
