package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.run.RunAssembly;
import dev.groupflow.run.RunConfig;
import dev.groupflow.testkit.TestScoringServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A short training run scored by an HTTP service that fails, stalls, answers garbage and drops connections in turn
 * never stalls.
 */
class HttpVerifierRunTest {

    @Test
    void aFlakyScoringServiceNeverStallsTraining(@TempDir Path tmp) throws Exception {
        Path prompts = tmp.resolve("prompts.jsonl");
        StringBuilder rows = new StringBuilder();
        for (String digits : List.of("123", "4567", "890", "2468", "1357", "97531", "112", "305")) {
            rows.append("{\"prompt\": \"").append(digits).append(">\", \"answer\": \"")
                    .append(new StringBuilder(digits).reverse()).append("\"}\n");
        }
        Files.writeString(prompts, rows);
        try (TestScoringServer server = new TestScoringServer()) {
            RunConfig c = PipelineRuns.config("data.prompts=" + prompts, "verifier.name=http",
                    "verifier.http.url=" + server.url("/mixed"), "verifier.http.timeout=300ms",
                    "verifier.http.retries=1", "verifier.http.retry-backoff=10ms",
                    "verifier.http.breaker.failures=1000", "verifier.timeout=10s", "verifier.retries=0",
                    "train.steps=3");
            try (RunAssembly setup = PipelineRuns.setup(c, tmp.resolve("run"))) {
                RunResult r = PipelineRuns.streaming(setup, null);
                assertTrue(r.ok(), r.toString());
                assertEquals(3, r.steps());
            }
            List<String> lines = Files.readAllLines(tmp.resolve("run/metrics.jsonl"));
            assertEquals(3, lines.size());
            JsonNode last = new ObjectMapper().readTree(lines.get(2));
            assertTrue(last.get("verifier_failed_total").asLong() > 0, last.toString());
            assertTrue(last.get("verifier_timed_out_total").asLong() > 0, last.toString());
            // the retried 500s were scored on their second attempt, so most samples still have rewards
            assertTrue(server.hits("/mixed") > last.get("samples_trained_total").asLong() / 2, last.toString());
        }
    }
}
