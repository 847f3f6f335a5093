package dev.groupflow.metrics;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.pipeline.LockstepControl;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.net.HttpURLConnection;
import java.net.URL;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** The dashboard's HTTP server on 127.0.0.1, fed by a {@link RunMonitor} the way a training run feeds it. */
class DashboardTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private PipelineGauges gauges;
    private RunMonitor monitor;
    private Dashboard dashboard;
    private DashboardClient client;

    @BeforeEach
    void start() {
        gauges = new PipelineGauges();
        monitor = new RunMonitor(gauges, 100, "streaming", "/runs/x", 3);
        dashboard = Dashboard.start(monitor, DashboardClient.settings(3, 16, 1000), DashboardToken.random());
        client = new DashboardClient(dashboard);
    }

    @AfterEach
    void stop() {
        dashboard.close();
    }

    private static Map<String, Object> line(long step, double reward) {
        Map<String, Object> m = new LinkedHashMap<>();
        m.put("step", step);
        m.put("reward_mean", reward);
        m.put("reward/format/mean", reward / 2);
        m.put("kl", Double.NaN);
        m.put("wall_seconds", step * 0.5);
        m.put("samples_trained_total", step * 16);
        return m;
    }

    private HttpResponse<String> get(String path) throws Exception {
        return client.get(path);
    }

    private HttpResponse<String> post(String path, String origin) throws Exception {
        return client.post(path, origin);
    }

    @Test
    void servesASelfContainedPageOn127001() throws Exception {
        assertTrue(dashboard.url().startsWith("http://127.0.0.1:"), dashboard.url());
        assertTrue(dashboard.port() > 0);
        for (String path : List.of("", "dashboard.js", "dashboard.css")) {
            HttpResponse<String> r = get(path);
            assertEquals(200, r.statusCode(), path);
            // nothing is loaded from anywhere else: no absolute URL in the page, its script or its style
            Matcher external = Pattern.compile("(src|href)\\s*=\\s*\"(https?:)?//|url\\((https?:)?//|https?://")
                    .matcher(r.body());
            assertFalse(external.find(), path + " refers to another host: " + (external.find(0) ? external.group() : ""));
        }
        String page = get("").body();
        assertTrue(page.contains("<script src=\"dashboard.js\"></script>"), page);
        assertTrue(get("").headers().firstValue("Content-Type").orElse("").startsWith("text/html"));
        assertEquals(404, get("nothing-here").statusCode());
    }

    @Test
    void apiShowsTheLatestLinesAndTheStages() throws Exception {
        for (long s = 1; s <= 5; s++) {
            monitor.onMetrics(line(s, s / 10.0));
        }
        gauges.promptsActive.set(7);
        gauges.samplesInVerifier.set(3);
        JsonNode metrics = JSON.readTree(get("api/metrics").body());
        // history = 3: only the last three lines are kept
        assertEquals(3, metrics.size());
        assertEquals(3, metrics.get(0).get("step").asLong());
        assertEquals(5, metrics.get(2).get("step").asLong());
        assertEquals("NaN", metrics.get(2).get("kl").asText());
        JsonNode last = JSON.readTree(get("api/metrics?last=1").body());
        assertEquals(1, last.size());
        assertEquals(0.5, last.get(0).get("reward_mean").asDouble(), 1e-12);
        assertEquals(400, get("api/metrics?last=many").statusCode());

        JsonNode status = JSON.readTree(get("api/status").body());
        assertEquals("starting", status.at("/run/phase").asText());
        assertEquals(5, status.at("/run/step").asLong());
        assertEquals(100, status.at("/run/total_steps").asLong());
        assertEquals(7, status.at("/supply/in_flight").asLong());
        assertEquals(3, status.at("/verifier/in_flight").asLong());
        // 2 lines of history at 0.5 s and 16 samples per step: 32 samples/s
        assertEquals(32.0, status.at("/run/samples_per_second").asDouble(), 1e-9);

        monitor.onCompletions(List.of(Map.of("step", 5L, "sample", 0, "prompt", "12>", "completion", "21",
                "reward", 1.0, "advantage", 0.8)));
        JsonNode completions = JSON.readTree(get("api/completions").body());
        assertEquals(5, completions.get("step").asLong());
        assertEquals("21", completions.at("/completions/0/completion").asText());
    }

    @Test
    void prometheusShowsTheSameFigures() throws Exception {
        monitor.onMetrics(line(4, 0.25));
        gauges.verifierScored.set(123);
        HttpResponse<String> r = get("metrics");
        assertEquals(200, r.statusCode());
        assertTrue(r.headers().firstValue("Content-Type").orElse("").startsWith("text/plain"), r.headers().toString());
        Map<String, Double> values = prometheus(r.body());
        assertEquals(0.25, values.get("groupflow_reward_mean"), 1e-12);
        assertEquals(0.125, values.get("groupflow_reward_format_mean"), 1e-12);
        assertEquals(4.0, values.get("groupflow_step"), 0);
        assertEquals(123.0, values.get("groupflow_verifier_scored_total"), 0);
        assertEquals(100.0, values.get("groupflow_total_steps"), 0);
        assertEquals(0.0, values.get("groupflow_paused"), 0);
        assertTrue(r.body().contains("# TYPE groupflow_verifier_scored_total counter"), r.body());
        // a later line moves the gauges
        monitor.onMetrics(line(5, 0.75));
        assertEquals(0.75, prometheus(get("metrics").body()).get("groupflow_reward_mean"), 1e-12);
    }

    /** name → value of the samples without labels of a Prometheus text exposition. */
    private static Map<String, Double> prometheus(String text) {
        Map<String, Double> out = new LinkedHashMap<>();
        for (String l : text.split("\n")) {
            if (l.startsWith("#") || l.isBlank() || l.contains("{")) {
                continue;
            }
            String[] parts = l.trim().split(" ");
            out.put(parts[0], Double.parseDouble(parts[1]));
        }
        return out;
    }

    @Test
    void buttonsActOnTheRunAndAreRefusedFromElsewhere() throws Exception {
        // before the run has controls, an action is a conflict, not an error page
        HttpResponse<String> early = post("api/pause", null);
        assertEquals(409, early.statusCode());
        assertTrue(early.body().contains("not training"), early.body());

        LockstepControl control = new LockstepControl();
        monitor.control(control);
        HttpResponse<String> paused = post("api/pause", dashboard.url().replaceAll("/$", ""));
        assertEquals(200, paused.statusCode(), paused.body());
        assertTrue(control.paused());
        assertEquals("paused", JSON.readTree(get("api/status").body()).at("/run/state").asText());
        assertEquals(1.0, prometheus(get("metrics").body()).get("groupflow_paused"), 0);

        // another web site's page cannot press the buttons, nor reach the API through another host name
        HttpResponse<String> foreign = post("api/resume", "http://evil.example");
        assertEquals(403, foreign.statusCode());
        assertTrue(control.paused(), "a refused resume leaves the run paused");
        assertTrue(rawGet("api/status", "evil.example").startsWith("HTTP/1.1 403"), "DNS rebinding is refused");
        assertTrue(rawGet("api/status", "localhost:" + dashboard.port()).startsWith("HTTP/1.1 200"));

        assertEquals(200, post("api/resume", null).statusCode());
        assertFalse(control.paused());
        assertEquals(405, get("api/pause").statusCode(), "actions are POST only");

        monitor.phase(RunMonitor.Phase.DONE, "finished");
        assertEquals(409, post("api/checkpoint", null).statusCode());
    }

    /** A GET (with the token) with a Host header of our choosing (the JDK's HTTP client will not send one). */
    private String rawGet(String path, String host) throws Exception {
        return client.rawExchange("GET", path, "Host: " + host,
                DashboardAccess.HEADER + ": " + dashboard.token().value());
    }

    @Test
    void eventsCarryStatusAndEachNewLine() throws Exception {
        BlockingQueue<String[]> events = new ArrayBlockingQueue<>(1000);
        Thread reader = new Thread(() -> readEvents(events), "sse-reader");
        reader.setDaemon(true);
        reader.start();
        String[] first = events.poll(20, TimeUnit.SECONDS);
        assertTrue(first != null && first[0].equals("status"), "a status as soon as the client connects");
        assertEquals("streaming", JSON.readTree(first[1]).at("/run/mode").asText());

        monitor.onMetrics(line(9, 0.9));
        String[] metrics = next(events, "metrics");
        assertEquals(9, JSON.readTree(metrics[1]).get("step").asLong());
        monitor.onCompletions(List.of(Map.of("step", 9L, "completion", "abc")));
        assertEquals("abc", JSON.readTree(next(events, "completions")[1]).at("/completions/0/completion").asText());
        // a status snapshot every second after that
        assertEquals(9, JSON.readTree(next(events, "status")[1]).at("/run/step").asLong());
        dashboard.close();
        reader.join(TimeUnit.SECONDS.toMillis(20));
        assertFalse(reader.isAlive(), "closing the dashboard ends the event stream");
    }

    private static String[] next(BlockingQueue<String[]> events, String type) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
        while (System.nanoTime() < deadline) {
            String[] e = events.poll(1, TimeUnit.SECONDS);
            if (e != null && e[0].equals(type)) {
                return e;
            }
        }
        throw new AssertionError("no " + type + " event within 20 s");
    }

    /** A plain server-sent-events reader: "event:" and "data:" lines, a blank line ends an event. */
    private void readEvents(BlockingQueue<String[]> out) {
        try {
            HttpURLConnection c = (HttpURLConnection) new URL(dashboard.url() + "events").openConnection();
            c.setRequestProperty(DashboardAccess.HEADER, dashboard.token().value());
            c.setRequestProperty("Accept", "text/event-stream");
            assertEquals("text/event-stream", c.getContentType().split(";")[0]);
            try (BufferedReader r = new BufferedReader(new InputStreamReader(c.getInputStream(), StandardCharsets.UTF_8))) {
                String type = "message";
                StringBuilder data = new StringBuilder();
                for (String l; (l = r.readLine()) != null; ) {
                    if (l.startsWith("event:")) {
                        type = l.substring(6).trim();
                    } else if (l.startsWith("data:")) {
                        data.append(l.substring(5));
                    } else if (l.isEmpty() && data.length() > 0) {
                        out.add(new String[] {type, data.toString()});
                        type = "message";
                        data.setLength(0);
                    }
                }
            }
        } catch (Exception e) {
            // the stream ended
        }
    }

    @Test
    void aBusyPortIsAClearErrorAndCostsOnlyTheDashboard() {
        IllegalStateException e = assertThrows(IllegalStateException.class,
                () -> Dashboard.start(monitor, new DashboardSettings(true, dashboard.port(), 3, 16, 30),
                        DashboardToken.random()));
        assertTrue(e.getMessage().contains("127.0.0.1:" + dashboard.port()), e.getMessage());
    }
}
