package dev.groupflow.metrics;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.regex.Pattern;

/**
 * The dashboard's secret (docs/dashboard.md, "Security"), as Jupyter has one: every {@code /api/*} request and
 * every event stream must carry it, so a process or a web page that has not seen the URL printed at start can
 * neither read the run nor press its buttons. Random per run (256 bits from {@link SecureRandom}, URL-safe
 * base64) unless fixed by {@link #ENV} or by an embedding application. Compared in constant time.
 */
public final class DashboardToken {
    /** The environment variable that fixes the token of {@code train}. */
    public static final String ENV = "GROUPFLOW_DASHBOARD_TOKEN";
    private static final int MIN_LENGTH = 16;
    private static final int MAX_LENGTH = 256;
    /** URL-safe without escaping (RFC 3986 unreserved), so it goes into {@code ?token=} as it is. */
    private static final Pattern ALLOWED = Pattern.compile("[A-Za-z0-9._~-]+");
    private static final SecureRandom RANDOM = new SecureRandom();

    private final String value;
    private final byte[] digest;

    private DashboardToken(String value) {
        this.value = value;
        this.digest = sha256(value);
    }

    /** A fresh random token. */
    public static DashboardToken random() {
        byte[] bytes = new byte[32];
        RANDOM.nextBytes(bytes);
        return new DashboardToken(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
    }

    /**
     * {@code value}, or a random token when it is null.
     *
     * @throws IllegalArgumentException when {@code value} is not a usable token ({@link #problem})
     */
    public static DashboardToken of(String value) {
        if (value == null) {
            return random();
        }
        String problem = problem(value);
        if (problem != null) {
            throw new IllegalArgumentException("dashboard token: " + problem);
        }
        return new DashboardToken(value);
    }

    /** Why {@code value} cannot be a token (too short, too long, characters a URL would need escaped), or null. */
    public static String problem(String value) {
        if (value.length() < MIN_LENGTH || value.length() > MAX_LENGTH) {
            return "must be " + MIN_LENGTH + " to " + MAX_LENGTH + " characters long, got " + value.length();
        }
        if (!ALLOWED.matcher(value).matches()) {
            return "may hold only letters, digits and . _ ~ - (it goes into a URL as it is)";
        }
        return null;
    }

    /** {@link #ENV}'s problem, as a configuration problem; null when it is unset or usable. */
    public static String environmentProblem() {
        String value = System.getenv(ENV);
        String problem = value == null ? null : problem(value);
        return problem == null ? null : ENV + ": " + problem;
    }

    /** The token itself, for the URL printed at start. */
    public String value() {
        return value;
    }

    /**
     * Whether {@code presented} is this token. Both are hashed first, so the comparison takes the same time
     * whatever the presented value's length and however many of its characters are right.
     */
    boolean matches(String presented) {
        return presented != null && MessageDigest.isEqual(digest, sha256(presented));
    }

    private static byte[] sha256(String s) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(s.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("every Java runtime has SHA-256", e);
        }
    }

    /** Never the secret itself (it would land in logs). */
    @Override
    public String toString() {
        return "DashboardToken[" + value.length() + " characters]";
    }
}
