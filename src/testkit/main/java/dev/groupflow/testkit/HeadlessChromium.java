package dev.groupflow.testkit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.net.http.WebSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Base64;
import java.util.Comparator;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;

/**
 * A headless Chromium driven over the Chrome DevTools Protocol with nothing but the JDK: the browser is started
 * with {@code --remote-debugging-port=0} and a fresh profile, the port is read from its "DevTools listening on
 * ws://..." line on stderr, the page's target is found with {@code GET /json/list}, and commands
 * ({@code Page.navigate}, {@code Runtime.evaluate}, {@code Page.captureScreenshot}) go over a
 * {@link java.net.http.WebSocket}. {@link #close} kills the browser and deletes its profile.
 */
public final class HeadlessChromium implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Pattern LISTENING = Pattern.compile("DevTools listening on (ws://\\S+)");
    private static final Duration COMMAND_TIMEOUT = Duration.ofSeconds(30);

    private final Process process;
    private final Path profile;
    private final Deque<String> output = new ArrayDeque<>();
    private final Map<Integer, CompletableFuture<JsonNode>> pending = new ConcurrentHashMap<>();
    private final AtomicInteger ids = new AtomicInteger();
    private WebSocket socket;

    private HeadlessChromium(Process process, Path profile) {
        this.process = process;
        this.profile = profile;
    }

    /** The browser: $CHROMIUM, else chromium, chromium-browser or google-chrome on the PATH. */
    public static Optional<Path> binary() {
        String env = System.getenv("CHROMIUM");
        if (env != null && Files.isExecutable(Path.of(env))) {
            return Optional.of(Path.of(env));
        }
        String path = System.getenv().getOrDefault("PATH", "/usr/bin:/bin");
        for (String name : new String[] {"chromium", "chromium-browser", "google-chrome"}) {
            for (String dir : path.split(":")) {
                Path p = Path.of(dir, name);
                if (Files.isExecutable(p)) {
                    return Optional.of(p);
                }
            }
        }
        return Optional.empty();
    }

    /** Starts the browser on an empty page and connects to that page. */
    public static HeadlessChromium launch(Path binary) throws Exception {
        Path profile = Files.createTempDirectory("groupflow-chromium-");
        Process p = new ProcessBuilder(binary.toString(), "--headless", "--no-sandbox", "--disable-gpu",
                "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update",
                "--disable-sync", "--disable-extensions", "--user-data-dir=" + profile, "--remote-debugging-port=0",
                "--window-size=1400,1200", "about:blank")
                .redirectErrorStream(true).start();
        HeadlessChromium browser = new HeadlessChromium(p, profile);
        try {
            browser.connect(browser.awaitDevToolsUrl());
            return browser;
        } catch (Exception | Error e) {
            browser.close();
            throw e;
        }
    }

    /** Reads the browser's output until the DevTools line, then keeps draining it (the last lines are kept). */
    private URI awaitDevToolsUrl() throws Exception {
        CompletableFuture<URI> url = new CompletableFuture<>();
        Thread reader = new Thread(() -> {
            try (BufferedReader r = new BufferedReader(new InputStreamReader(process.getInputStream(),
                    StandardCharsets.UTF_8))) {
                for (String line; (line = r.readLine()) != null; ) {
                    remember(line);
                    Matcher m = LISTENING.matcher(line);
                    if (m.find()) {
                        url.complete(URI.create(m.group(1)));
                    }
                }
            } catch (IOException ignored) {
                // the browser was closed
            }
            url.completeExceptionally(new IllegalStateException("chromium exited without a DevTools port:\n"
                    + output()));
        }, "chromium-output");
        reader.setDaemon(true);
        reader.start();
        return url.get(60, TimeUnit.SECONDS);
    }

    private synchronized void remember(String line) {
        output.addLast(line);
        if (output.size() > 200) {
            output.removeFirst();
        }
    }

    /** The browser's last lines of output, for failure messages. */
    public synchronized String output() {
        return String.join("\n", output);
    }

    private void connect(URI browserUrl) throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        URI list = URI.create("http://" + browserUrl.getHost() + ":" + browserUrl.getPort() + "/json/list");
        String pageUrl = null;
        for (int attempt = 0; attempt < 100 && pageUrl == null; attempt++) {
            HttpResponse<String> r = http.send(HttpRequest.newBuilder(list).build(),
                    HttpResponse.BodyHandlers.ofString());
            for (JsonNode target : JSON.readTree(r.body())) {
                if ("page".equals(target.path("type").asText())) {
                    pageUrl = target.path("webSocketDebuggerUrl").asText();
                    break;
                }
            }
            if (pageUrl == null) {
                Thread.sleep(100);
            }
        }
        if (pageUrl == null) {
            throw new IllegalStateException("chromium shows no page target:\n" + output());
        }
        socket = http.newWebSocketBuilder().buildAsync(URI.create(pageUrl), new Replies())
                .get(30, TimeUnit.SECONDS);
    }

    /** Collects the text frames of each message and completes the command it answers. */
    private final class Replies implements WebSocket.Listener {
        private final StringBuilder message = new StringBuilder();

        @Override
        public CompletionStage<?> onText(WebSocket ws, CharSequence data, boolean last) {
            message.append(data);
            if (last) {
                try {
                    JsonNode reply = JSON.readTree(message.toString());
                    CompletableFuture<JsonNode> waiting = reply.has("id") ? pending.remove(reply.get("id").asInt())
                            : null;
                    if (waiting != null) {
                        if (reply.has("error")) {
                            waiting.completeExceptionally(new IllegalStateException("DevTools: " + reply.get("error")));
                        } else {
                            waiting.complete(reply.path("result"));
                        }
                    }
                } catch (IOException e) {
                    pending.values().forEach(f -> f.completeExceptionally(e));
                }
                message.setLength(0);
            }
            ws.request(1);
            return null;
        }

        @Override
        public void onError(WebSocket ws, Throwable error) {
            pending.values().forEach(f -> f.completeExceptionally(error));
        }
    }

    /** Sends a DevTools command and waits for its result. */
    public JsonNode send(String method, Map<String, Object> params) throws Exception {
        int id = ids.incrementAndGet();
        CompletableFuture<JsonNode> reply = new CompletableFuture<>();
        pending.put(id, reply);
        socket.sendText(JSON.writeValueAsString(Map.of("id", id, "method", method, "params", params)), true)
                .get(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
        return reply.get(COMMAND_TIMEOUT.toSeconds(), TimeUnit.SECONDS);
    }

    /** Runs {@code source} in every page before its own scripts (to record errors, for instance). */
    public void beforeEachPage(String source) throws Exception {
        send("Page.enable", Map.of());
        send("Page.addScriptToEvaluateOnNewDocument", Map.of("source", source));
    }

    /** Opens {@code url} and waits until the document has loaded. */
    public void navigate(String url) throws Exception {
        JsonNode r = send("Page.navigate", Map.of("url", url));
        if (r.hasNonNull("errorText")) {
            throw new IllegalStateException("cannot open " + url + ": " + r.get("errorText").asText());
        }
        while (!"complete".equals(evaluate("document.readyState").asText())) {
            Thread.sleep(50);
        }
    }

    /** The value of a JavaScript expression in the page (awaited when it is a promise). */
    public JsonNode evaluate(String expression) throws Exception {
        JsonNode r = send("Runtime.evaluate", Map.of("expression", expression, "returnByValue", true,
                "awaitPromise", true));
        if (r.has("exceptionDetails")) {
            throw new IllegalStateException("script failed: " + expression + ": " + r.get("exceptionDetails"));
        }
        return r.path("result").path("value");
    }

    /**
     * Waits until the JavaScript {@code condition} holds in the page, polling; after {@code seconds} fails with the
     * condition and the value of {@code state} (an expression describing the page) in the message.
     */
    public void await(String condition, int seconds, String state) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
        while (System.nanoTime() < deadline) {
            if (evaluate("!!(" + condition + ")").asBoolean()) {
                return;
            }
            Thread.sleep(200);
        }
        throw new AssertionError("not within " + seconds + " s: " + condition + "\npage state: " + evaluate(state));
    }

    /** A PNG of the viewport. */
    public byte[] screenshot() throws Exception {
        JsonNode r = send("Page.captureScreenshot", Map.of("format", "png"));
        return Base64.getDecoder().decode(r.get("data").asText());
    }

    /** Kills the browser (and what it started) and deletes its profile. */
    @Override
    public void close() {
        if (socket != null) {
            socket.abort();
        }
        process.descendants().forEach(ProcessHandle::destroyForcibly);
        process.destroyForcibly();
        try {
            process.waitFor(20, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        deleteTree(profile);
    }

    private static void deleteTree(Path root) {
        for (int attempt = 0; attempt < 5 && Files.exists(root); attempt++) {
            try (Stream<Path> paths = Files.walk(root)) {
                paths.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            } catch (IOException | UncheckedIOException e) {
                // a file appeared or vanished while walking: try again
            }
        }
    }
}
