package dev.groupflow.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A real scoring service on 127.0.0.1 (an ephemeral port) for HTTP verifier tests. Each path behaves one way:
 * {@code /ok} scores 1 when completion equals answer; {@code /slow} answers only once {@link #release} is called;
 * {@code /drop} closes the connection without a reply; {@code /500}, {@code /404}; {@code /garbage},
 * {@code /huge}, {@code /nan}, {@code /infinite}, {@code /string-reward}; {@code /flaky} answers 500 while
 * {@link #healthy} is false; {@code /busy} holds each request for a while and records the most held at once;
 * {@code /mixed} cycles through seven behaviours by request number (scores, a 500 then a score on the retry, a
 * reply held past any short timeout, garbage, a dropped connection), so a run sees every kind of outcome.
 */
public final class TestScoringServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final ExecutorService threads = Executors.newFixedThreadPool(24, r -> {
        Thread t = new Thread(r, "test-scoring-server");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final CountDownLatch slow = new CountDownLatch(1);
    public final AtomicBoolean healthy = new AtomicBoolean(true);
    public final AtomicInteger active = new AtomicInteger();
    public final AtomicInteger maxActive = new AtomicInteger();
    public volatile long busyMillis = 30;
    public volatile JsonNode lastRequest;

    public TestScoringServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    public URI url(String path) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + path);
    }

    /** Requests that reached {@code path}. */
    public int hits(String path) {
        return hits.computeIfAbsent(path, p -> new AtomicInteger()).get();
    }

    /** Lets every held /slow request answer. */
    public void release() {
        slow.countDown();
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        byte[] body = ex.getRequestBody().readAllBytes();
        switch (path) {
            case "/ok" -> {
                JsonNode req = JSON.readTree(body);
                lastRequest = req;
                double reward = req.get("completion").asText().equals(req.path("answer").asText()) ? 1 : 0;
                reply(ex, 200, "{\"reward\": " + reward + ", \"components\": {\"exact\": " + reward
                        + "}, \"details\": \"compared\"}");
            }
            case "/slow" -> {
                await();
                reply(ex, 200, "{\"reward\": 1}");
            }
            case "/drop" -> ex.close();
            case "/500" -> reply(ex, 500, "internal error");
            case "/404" -> reply(ex, 404, "no such scorer");
            case "/garbage" -> reply(ex, 200, "<html>definitely not json</html>");
            case "/huge" -> reply(ex, 200, "{\"reward\": 1, \"details\": \"" + "x".repeat(2_000_000) + "\"}");
            case "/nan" -> reply(ex, 200, "{\"reward\": NaN}");
            case "/infinite" -> reply(ex, 200, "{\"reward\": 1e999}");
            case "/string-reward" -> reply(ex, 200, "{\"reward\": \"1\"}");
            case "/flaky" -> reply(ex, healthy.get() ? 200 : 500, healthy.get() ? "{\"reward\": 0.25}" : "down");
            case "/busy" -> {
                int now = active.incrementAndGet();
                maxActive.accumulateAndGet(now, Math::max);
                try {
                    Thread.sleep(busyMillis);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                active.decrementAndGet();
                reply(ex, 200, "{\"reward\": 0.5}");
            }
            case "/mixed" -> mixed(ex, body, hits(path));
            default -> reply(ex, 404, "unknown path " + path);
        }
    }

    private void mixed(HttpExchange ex, byte[] body, int n) throws IOException {
        switch (n % 7) {
            case 1 -> reply(ex, 500, "overloaded");
            case 3 -> {
                try {
                    Thread.sleep(1500);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
                reply(ex, 200, "{\"reward\": 1}");
            }
            case 5 -> reply(ex, 200, "not json at all");
            case 6 -> ex.close(); // the connection dropped without a reply
            default -> {
                JsonNode req = JSON.readTree(body);
                String completion = req.get("completion").asText();
                double reward = completion.equals(req.path("answer").asText()) ? 1 : completion.length() % 3 / 2.0;
                reply(ex, 200, "{\"reward\": " + reward + "}");
            }
        }
    }

    private void await() {
        try {
            slow.await(60, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private static void reply(HttpExchange ex, int status, String text) throws IOException {
        byte[] bytes = text.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream out = ex.getResponseBody()) {
            out.write(bytes);
        } catch (IOException e) {
            // the client gave up (a capped body): nothing to do
        }
        ex.close();
    }

    @Override
    public void close() {
        release();
        server.stop(0);
        threads.shutdownNow();
    }
}
