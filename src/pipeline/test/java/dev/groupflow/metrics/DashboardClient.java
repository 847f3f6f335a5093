package dev.groupflow.metrics;

import java.io.InputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;

/** A real HTTP client (java.net.http) of a {@link Dashboard} on 127.0.0.1, with or without its token. */
final class DashboardClient {
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private final Dashboard dashboard;

    DashboardClient(Dashboard dashboard) {
        this.dashboard = dashboard;
    }

    /** Settings of a test dashboard on any free port. */
    static DashboardSettings settings(int history, int maxEventStreams, int actionsPerMinute) {
        return new DashboardSettings(true, 0, history, maxEventStreams, actionsPerMinute);
    }

    /** A request for {@code path} (relative to the dashboard's root) that carries the token in its header. */
    HttpRequest.Builder withToken(String path) {
        return without(path).header(DashboardAccess.HEADER, dashboard.token().value());
    }

    /** A request for {@code path} with no token. */
    HttpRequest.Builder without(String path) {
        return HttpRequest.newBuilder(URI.create(dashboard.url() + path)).timeout(Duration.ofSeconds(30));
    }

    HttpResponse<String> get(String path) throws Exception {
        return send(withToken(path).GET());
    }

    /** POST {@code path} with the token, from {@code origin} (none when null). */
    HttpResponse<String> post(String path, String origin) throws Exception {
        HttpRequest.Builder b = withToken(path).POST(HttpRequest.BodyPublishers.noBody());
        if (origin != null) {
            b.header("Origin", origin);
        }
        return send(b);
    }

    HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Opens an event stream (with the token); completes when its status line and headers have arrived. */
    CompletableFuture<HttpResponse<InputStream>> openEvents() {
        return http.sendAsync(withToken("events").header("Accept", "text/event-stream").GET().build(),
                HttpResponse.BodyHandlers.ofInputStream());
    }

    /** The dashboard's own origin, as a browser on its page sends it. */
    String origin() {
        return "http://127.0.0.1:" + dashboard.port();
    }

    /**
     * A raw HTTP/1.1 request over a plain socket, for what the JDK's client will not send (a Host header of our
     * choosing); returns the socket, request written, for the caller to read (or not) and close.
     */
    Socket raw(String method, String path, String... headers) throws Exception {
        Socket socket = new Socket("127.0.0.1", dashboard.port());
        socket.setSoTimeout(30_000);
        StringBuilder sb = new StringBuilder(method + " /" + path + " HTTP/1.1\r\n");
        boolean host = false;
        for (String h : headers) {
            sb.append(h).append("\r\n");
            host |= h.regionMatches(true, 0, "Host:", 0, 5);
        }
        if (!host) {
            sb.append("Host: 127.0.0.1:").append(dashboard.port()).append("\r\n");
        }
        socket.getOutputStream().write(sb.append("\r\n").toString().getBytes(StandardCharsets.US_ASCII));
        return socket;
    }

    /** {@link #raw} with {@code Connection: close}, read to the end. */
    String rawExchange(String method, String path, String... headers) throws Exception {
        String[] all = Arrays.copyOf(headers, headers.length + 1);
        all[headers.length] = "Connection: close";
        try (Socket s = raw(method, path, all)) {
            return new String(s.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        }
    }
}
