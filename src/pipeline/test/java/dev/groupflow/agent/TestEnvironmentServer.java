package dev.groupflow.agent;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.groupflow.data.Prompt;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A reference environment server for the HTTP JSON protocol (docs/agents.md) on 127.0.0.1, an ephemeral port. It
 * plays the guess game and reads and writes the protocol's JSON by hand (Jackson trees), independently of
 * groupflow's client, so the tests check the documented wire format. A repeated step (same episode and turn) gets
 * its first answer again.
 *
 * <p>Base paths: {@code /plain/} and {@code /chat/} play the game (text, or messages with a tool);
 * {@code /slow/} holds step replies until {@link #release}; {@code /flaky/} answers the first step of each episode
 * with 503; {@code /garbage/} answers steps with text that is not JSON; {@code /noreward/} leaves out the reward;
 * {@code /refuses/} answers starts with the protocol's error object; {@code /missing/} is a 404.
 */
final class TestEnvironmentServer implements AutoCloseable {
    private static final ObjectMapper JSON = new ObjectMapper();
    private final HttpServer server;
    private final ExecutorService threads = Executors.newFixedThreadPool(8, r -> {
        Thread t = new Thread(r, "test-environment-server");
        t.setDaemon(true);
        return t;
    });
    private final Map<String, LocalEnvironment.Session> games = new ConcurrentHashMap<>();
    private final Map<String, byte[]> answers = new ConcurrentHashMap<>();
    private final Map<String, AtomicInteger> hits = new ConcurrentHashMap<>();
    private final CountDownLatch slow = new CountDownLatch(1);
    final List<JsonNode> requests = Collections.synchronizedList(new ArrayList<>());

    TestEnvironmentServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 64);
        server.setExecutor(threads);
        server.createContext("/", this::handle);
        server.start();
    }

    URI base(String name) {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/" + name + "/");
    }

    int hits(String path) {
        return hits.computeIfAbsent(path, p -> new AtomicInteger()).get();
    }

    void release() {
        slow.countDown();
    }

    private void handle(HttpExchange ex) throws IOException {
        String path = ex.getRequestURI().getPath();
        hits.computeIfAbsent(path, p -> new AtomicInteger()).incrementAndGet();
        String[] parts = path.split("/");
        String mode = parts.length > 1 ? parts[1] : "";
        String call = parts.length > 2 ? parts[2] : "";
        JsonNode req = JSON.readTree(ex.getRequestBody().readAllBytes());
        requests.add(req);
        try {
            switch (mode + "/" + call) {
                case "missing/start", "missing/step", "missing/end" -> reply(ex, 404, "no such environment");
                case "refuses/start" -> reply(ex, 200, "{\"error\": \"no game for this task\", \"retryable\": false}");
                case "garbage/step" -> reply(ex, 200, "<html>oops</html>");
                case "noreward/step" -> reply(ex, 200, "{\"observation\": {\"text\": \"=:\"}, \"done\": false}");
                case "flaky/step" -> {
                    if (hits(path) % 2 == 1) {
                        reply(ex, 503, "busy");
                    } else {
                        reply(ex, 200, new String(step(req, false), StandardCharsets.UTF_8));
                    }
                }
                case "slow/step" -> {
                    if (!slow.await(60, TimeUnit.SECONDS)) {
                        reply(ex, 500, "never released");
                        return;
                    }
                    reply(ex, 200, new String(step(req, false), StandardCharsets.UTF_8));
                }
                default -> {
                    boolean chat = mode.equals("chat");
                    byte[] body = switch (call) {
                        case "start" -> start(req, chat);
                        case "step" -> step(req, chat);
                        case "end" -> {
                            games.remove(req.get("episode_id").asText());
                            yield "{}".getBytes(StandardCharsets.UTF_8);
                        }
                        default -> null;
                    };
                    if (body == null) {
                        reply(ex, 404, "unknown call " + call);
                    } else {
                        reply(ex, 200, new String(body, StandardCharsets.UTF_8));
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            reply(ex, 500, "interrupted");
        }
    }

    private byte[] start(JsonNode req, boolean chat) throws IOException {
        JsonNode task = req.get("task");
        Prompt prompt = Prompt.text(task.get("id").asText(), task.path("prompt").asText(), task.get("answer").asText());
        String id = req.get("episode_id").asText();
        LocalEnvironment.Session game = new GuessEnvironment(chat)
                .start(new EpisodeStart(id, prompt, req.get("seed").asLong()));
        games.put(id, game);
        ObjectNode out = JSON.createObjectNode();
        out.set("observation", observation(game.first()));
        return JSON.writeValueAsBytes(out);
    }

    private byte[] step(JsonNode req, boolean chat) throws IOException {
        String id = req.get("episode_id").asText();
        String key = id + "#" + req.get("turn").asInt();
        byte[] before = answers.get(key);
        if (before != null) {
            return before;
        }
        JsonNode a = req.get("action");
        List<ToolCall> calls = new ArrayList<>();
        for (JsonNode c : a.get("tool_calls")) {
            calls.add(new ToolCall(c.get("name").asText(), JSON.convertValue(c.get("arguments"), Map.class)));
        }
        List<String> errors = new ArrayList<>();
        a.get("tool_call_errors").forEach(e -> errors.add(e.asText()));
        Transition t = games.get(id).step(new Action(a.get("text").asText(), a.get("content").asText(), calls, errors,
                a.get("truncated").asBoolean()));
        ObjectNode out = JSON.createObjectNode();
        out.set("observation", t.done() ? null : observation(t.observation()));
        out.put("reward", t.reward());
        out.put("done", t.done());
        byte[] body = JSON.writeValueAsBytes(out);
        answers.put(key, body);
        return body;
    }

    private static ObjectNode observation(Observation o) {
        ObjectNode n = JSON.createObjectNode();
        if (o.text() != null) {
            n.put("text", o.text());
        } else {
            n.set("messages", JSON.valueToTree(o.messages()));
        }
        if (o.tools() != null) {
            ArrayNode tools = n.putArray("tools");
            o.tools().forEach(t -> tools.add(JSON.valueToTree(t)));
        }
        n.put("state_key", o.stateKey());
        return n;
    }

    private static void reply(HttpExchange ex, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        ex.getResponseHeaders().set("Content-Type", "application/json");
        ex.sendResponseHeaders(status, bytes.length);
        try (OutputStream os = ex.getResponseBody()) {
            os.write(bytes);
        }
    }

    @Override
    public void close() {
        slow.countDown();
        server.stop(0);
        threads.shutdownNow();
    }
}
