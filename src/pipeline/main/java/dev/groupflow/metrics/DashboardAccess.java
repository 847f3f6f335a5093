package dev.groupflow.metrics;

import java.net.URI;
import java.net.URISyntaxException;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.apache.pekko.http.javadsl.model.HttpHeader;
import org.apache.pekko.http.javadsl.model.HttpRequest;

/**
 * Who may use the dashboard (docs/dashboard.md, "Security"):
 *
 * <ul>
 *   <li>every request must be addressed to this machine by name ({@code Host} 127.0.0.1, localhost or [::1]),
 *       which keeps DNS-rebinding pages out;</li>
 *   <li>a request that carries an {@code Origin} must come from the dashboard's own origin: scheme {@code http},
 *       no user info, the very host and port the request was sent to (its {@code Host}); so a page on another
 *       port of localhost, or {@code http://evil.example@127.0.0.1}, is refused whatever else it sends;</li>
 *   <li>{@code /api/*} and {@code /events} need the run's {@link DashboardToken}, as the header {@value #HEADER},
 *       as {@code Authorization: Bearer TOKEN}, or as the query parameter {@code token}. A request with no
 *       {@code Origin} (curl, a script, Prometheus) is fine when it has the token: browsers always send an
 *       {@code Origin} with a POST, so the token alone stands between other local programs and the run.</li>
 * </ul>
 */
final class DashboardAccess {
    /** The header the page sends the token in. */
    static final String HEADER = "X-Groupflow-Token";
    private static final Set<String> LOCAL_HOSTS = Set.of("127.0.0.1", "localhost", "[::1]");

    private final DashboardToken token;

    DashboardAccess(DashboardToken token) {
        this.token = token;
    }

    /** Why the request is refused before anything else (403), or null: a foreign host or a foreign origin. */
    static String refusal(HttpRequest request) {
        Optional<Endpoint> host = request.getHeader("Host").map(HttpHeader::value).flatMap(h -> parse("http://" + h));
        if (host.isEmpty() || !LOCAL_HOSTS.contains(host.get().host())) {
            return "the dashboard answers requests for 127.0.0.1 or localhost only";
        }
        for (HttpHeader h : request.getHeaders()) {
            if (h.is("origin") && !sameOrigin(h.value(), host.get())) {
                return "requests from another origin are refused (" + h.value() + ")";
            }
        }
        return null;
    }

    /** Whether the request carries the run's token. */
    boolean authorized(HttpRequest request) {
        Optional<String> header = request.getHeader(HEADER).map(HttpHeader::value);
        Optional<String> bearer = request.getHeader("Authorization").map(HttpHeader::value)
                .filter(v -> v.regionMatches(true, 0, "Bearer ", 0, 7)).map(v -> v.substring(7).trim());
        Optional<String> query = request.getUri().query().get("token");
        return header.or(() -> bearer).or(() -> query).map(token::matches).orElse(false);
    }

    /**
     * Whether {@code origin} (an {@code Origin} header: {@code scheme://host[:port]}) is exactly {@code own}:
     * scheme http, no user info, no path, the same host and the same port (80 when absent).
     */
    static boolean sameOrigin(String origin, Endpoint own) {
        return parse(origin).filter(o -> o.equals(own)).isPresent();
    }

    /** Host (lower case, IPv6 in brackets) and port (80 when absent) of an {@code http://} origin or host. */
    record Endpoint(String host, int port) {
    }

    static Optional<Endpoint> parse(String origin) {
        try {
            URI u = new URI(origin);
            boolean bare = "http".equalsIgnoreCase(u.getScheme()) && u.getRawUserInfo() == null && u.getHost() != null
                    && (u.getRawPath() == null || u.getRawPath().isEmpty()) && u.getRawQuery() == null
                    && u.getRawFragment() == null;
            return bare ? Optional.of(new Endpoint(u.getHost().toLowerCase(Locale.ROOT),
                    u.getPort() < 0 ? 80 : u.getPort())) : Optional.empty();
        } catch (URISyntaxException e) {
            return Optional.empty();
        }
    }
}
