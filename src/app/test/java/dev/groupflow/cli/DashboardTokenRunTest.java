package dev.groupflow.cli;

import static dev.groupflow.cli.ClusterRunTest.log;
import static dev.groupflow.cli.ClusterRunTest.waitFor;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code GROUPFLOW_DASHBOARD_TOKEN} fixes the dashboard's token of a real {@code bin/groupflow train}. */
class DashboardTokenRunTest {
    private static final String VARIABLE = "GROUPFLOW_DASHBOARD_TOKEN";

    @Test
    void aWeakTokenIsAConfigurationProblemReportedWithTheOthers(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        Path log = tmp.resolve("train.log");
        Process train = GracefulStopTest.launch(run, log, List.of("--set", "grpo.group-size=0"),
                Map.of(VARIABLE, "short"));
        assertTrue(train.waitFor(120, TimeUnit.SECONDS), log(log));
        assertEquals(2, train.exitValue(), log(log));
        String out = log(log);
        assertTrue(out.contains("invalid configuration (2 problems)"), out);
        assertTrue(out.contains("grpo.group-size"), out);
        assertTrue(out.contains(VARIABLE + ": must be 16 to 256 characters long, got 5"), out);
        assertFalse(Files.exists(run.resolve("metrics.jsonl")), "nothing started");
    }

    @Test
    void aFixedTokenIsPrintedAndRequired(@TempDir Path tmp) throws Exception {
        String token = "fixed.token-for_the~test-0123456789";
        Path run = tmp.resolve("run");
        Path log = tmp.resolve("train.log");
        Process train = GracefulStopTest.launch(run, log, List.of("--set", "train.steps=100000"),
                Map.of(VARIABLE, token));
        try {
            Pattern printed = Pattern.compile("dashboard at (http://127\\.0\\.0\\.1:\\d+/)\\?token=(\\S+) .*"
                    + "then open http://localhost:\\d+/\\?token=(\\S+)\\)");
            waitFor(() -> printed.matcher(log(log)).find(), train, 120, log);
            Matcher m = printed.matcher(log(log));
            assertTrue(m.find());
            assertEquals(token, m.group(2));
            assertEquals(token, m.group(3), "the SSH hint carries it too");
            HttpClient http = HttpClient.newHttpClient();
            HttpRequest.Builder status = HttpRequest.newBuilder(URI.create(m.group(1) + "api/status"));
            assertEquals(200, http.send(status.copy().header("X-Groupflow-Token", token).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            assertEquals(401, http.send(status.copy().build(), HttpResponse.BodyHandlers.ofString()).statusCode());
            train.destroy(); // SIGTERM: finish the step, checkpoint, exit 0
            assertTrue(train.waitFor(120, TimeUnit.SECONDS), log(log));
            assertEquals(0, train.exitValue(), log(log));
            assertFalse(Files.readString(run.resolve("config.conf")).contains(token), "the token is not recorded");
        } finally {
            train.destroyForcibly();
        }
    }
}
