package dev.groupflow.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.InputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Many or stuck event-stream clients (issue 12, item 4), with a real server on 127.0.0.1 and real clients: at
 * most {@code dashboard.max-event-streams} streams are served and one more gets 503 while the API keeps
 * answering; a client that never reads is disconnected once its bounded queue is full, and the queue never held
 * more than its bound (the hub's own counters).
 */
class DashboardStreamsTest {
    private static final int CAP = 3;
    private final RunMonitor monitor = new RunMonitor(new PipelineGauges(), 100, "streaming", "/runs/x", 3);
    private Dashboard dashboard;
    private DashboardClient client;
    private final List<InputStream> streams = new ArrayList<>();

    @BeforeEach
    void start() {
        dashboard = Dashboard.start(monitor, DashboardClient.settings(3, CAP, 30), DashboardToken.random());
        client = new DashboardClient(dashboard);
    }

    @AfterEach
    void stop() throws Exception {
        for (InputStream s : streams) {
            s.close();
        }
        dashboard.close();
    }

    @Test
    void streamsBeyondTheCapAreRefusedAndTheApiStillAnswers() throws Exception {
        for (int i = 0; i < CAP; i++) {
            HttpResponse<InputStream> r = client.openEvents().get(30, TimeUnit.SECONDS);
            assertEquals(200, r.statusCode());
            streams.add(r.body());
        }
        int extra = 20;
        for (int i = 0; i < extra; i++) {
            HttpResponse<InputStream> r = client.openEvents().get(30, TimeUnit.SECONDS);
            if (r.statusCode() != 503) {
                streams.add(r.body()); // an open stream: reading it to the end would never return
                throw new AssertionError("stream " + (CAP + i + 1) + " of a cap of " + CAP + ": HTTP "
                        + r.statusCode());
            }
            String body = new String(r.body().readAllBytes());
            assertTrue(body.contains("dashboard.max-event-streams"), body);
            assertTrue(Long.parseLong(r.headers().firstValue("Retry-After").orElseThrow()) > 0);
        }
        EventHub hub = dashboard.events();
        assertEquals(CAP, hub.open());
        assertEquals(extra, hub.refused());
        assertEquals(200, client.get("api/status").statusCode(), "the API answers while the streams are open");

        // a client that goes away gives its place back (the server notices at its next write, within a second)
        streams.remove(0).close();
        await(() -> hub.open() == CAP - 1, "the closed stream's slot is released");
        HttpResponse<InputStream> again = client.openEvents().get(30, TimeUnit.SECONDS);
        assertEquals(200, again.statusCode());
        streams.add(again.body());
    }

    /**
     * The probe of issue 12: 1,100 stream requests, none of them closed by the client. Refused ones are closed by
     * the server, so they do not use up the server's connections (Pekko HTTP accepts 1024) and the API answers.
     */
    @Test
    void elevenHundredStreamRequestsLeaveTheApiAnswering() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        try {
            int served = 0;
            for (int i = 0; i < 1100; i++) {
                Socket s = client.raw("GET", "events?token=" + dashboard.token().value(), "Accept: text/event-stream");
                sockets.add(s);
                String status = statusLine(s.getInputStream());
                if (status.startsWith("HTTP/1.1 200")) {
                    served++;
                    continue;
                }
                assertEquals("HTTP/1.1 503 Service Unavailable", status, "request " + (i + 1));
                // the server closes a refused connection: the rest of the answer, then the end of the stream
                s.getInputStream().readAllBytes();
            }
            assertEquals(CAP, served);
            assertEquals(1100 - CAP, dashboard.events().refused());
            assertEquals(200, client.get("api/status").statusCode(), "the API answers");
        } finally {
            for (Socket s : sockets) {
                s.close();
            }
        }
    }

    private static String statusLine(InputStream in) throws Exception {
        StringBuilder sb = new StringBuilder();
        for (int c; (c = in.read()) >= 0 && c != '\n'; ) {
            sb.append((char) c);
        }
        return sb.toString().trim();
    }

    @Test
    void aClientThatNeverReadsIsDisconnectedWithinItsBound() throws Exception {
        try (Socket stuck = client.raw("GET", "events?token=" + dashboard.token().value(),
                "Accept: text/event-stream")) {
            EventHub hub = dashboard.events();
            await(() -> hub.attached() == 1, "the stream has started");
            // far more than the socket buffers and the queue can hold: 64 MiB of events nobody reads
            String padding = "x".repeat(64 * 1024);
            for (long step = 1; step <= 1024; step++) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("step", step);
                line.put("padding", padding);
                monitor.onMetrics(line);
            }
            assertEquals(1, hub.slowDisconnects(), "the stuck client was disconnected");
            assertTrue(hub.peakQueuedBytes() <= EventHub.STREAM_BYTES,
                    "at most " + EventHub.STREAM_BYTES + " characters waited for it: " + hub.peakQueuedBytes());
            assertTrue(hub.peakQueuedEvents() <= EventHub.STREAM_EVENTS, "events waiting: " + hub.peakQueuedEvents());
            assertTrue(hub.peakQueuedBytes() > EventHub.STREAM_BYTES / 2, "the bound was what stopped it: "
                    + hub.peakQueuedBytes());
            // what it had been sent ends: the server closed the connection, with an end of stream or a reset (a
            // stream still open would block the read until the socket's timeout: SocketTimeoutException)
            InputStream in = stuck.getInputStream();
            byte[] buffer = new byte[1 << 16];
            try {
                while (in.read(buffer) >= 0) {
                    // drain
                }
            } catch (SocketException reset) {
                assertTrue(String.valueOf(reset.getMessage()).contains("reset"), reset.toString());
            }
            await(() -> hub.open() == 0, "its slot is free again");
        }
        HttpResponse<InputStream> next = client.openEvents().get(30, TimeUnit.SECONDS);
        assertEquals(200, next.statusCode());
        streams.add(next.body());
    }

    private static void await(BooleanSupplier condition, String what) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("not within 30 s: " + what);
            }
            Thread.sleep(20);
        }
    }
}
