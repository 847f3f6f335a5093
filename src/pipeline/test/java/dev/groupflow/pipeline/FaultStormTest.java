package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.metrics.PipelineGauges;
import dev.groupflow.run.RunAssembly;
import dev.groupflow.run.RunConfig;
import dev.groupflow.testkit.TestScoringServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A storm of verifier failures (a real HTTP service answering errors, garbage, dropped connections and stalls)
 * with stale drops allowed: every generated sample ends in exactly one terminal outcome, counted, and no group is
 * lost or trained twice.
 */
class FaultStormTest {

    @Test
    void everySampleEndsOnceAndNoGroupIsLostOrDuplicated(@TempDir Path tmp) throws Exception {
        Path prompts = tmp.resolve("prompts.jsonl");
        StringBuilder rows = new StringBuilder();
        for (int i = 0; i < 40; i++) {
            String digits = Integer.toString(1000 + i * 37);
            rows.append("{\"prompt\": \"").append(digits).append(">\", \"answer\": \"")
                    .append(new StringBuilder(digits).reverse()).append("\"}\n");
        }
        Files.writeString(prompts, rows);
        int steps = 10;
        try (TestScoringServer server = new TestScoringServer()) {
            RunConfig c = PipelineRuns.config("data.prompts=" + prompts, "verifier.name=http",
                    "verifier.http.url=" + server.url("/mixed"), "verifier.http.timeout=200ms",
                    "verifier.http.retries=0", "verifier.http.breaker.failures=1000", "verifier.timeout=5s",
                    "verifier.retries=0", "pipeline.max-staleness=2", "train.steps=" + steps);
            try (RunAssembly setup = PipelineRuns.setup(c, tmp.resolve("run"))) {
                RunResult r = PipelineRuns.streaming(setup, null);
                assertTrue(r.ok(), r.toString());
                assertEquals(steps, r.steps());
                PipelineGauges g = setup.gauges();
                long terminal = g.samplesTrainedScored.get() + g.samplesTrainedFailed.get() + g.samplesDroppedStale.get()
                        + g.samplesFiltered.get() + g.samplesDuplicate.get();
                assertEquals(steps * 4L * 4, g.samplesTrainedScored.get() + g.samplesTrainedFailed.get(),
                        "every trained group had all G members");
                assertTrue(g.samplesTrainedFailed.get() > 0, "the storm happened");
                assertTrue(terminal <= g.samplesGenerated.get(), "no sample ends twice");
                // what has not ended yet was still in flight when the run stopped: at most (S + 1) batches
                assertTrue(g.samplesGenerated.get() - terminal <= 3L * 4 * 4, "nothing lost beyond what was in flight");
            }
        }
        ObjectMapper json = new ObjectMapper();
        Set<Long> seen = new HashSet<>();
        int trainedSteps = 0;
        for (String line : Files.readAllLines(tmp.resolve("run/ledger.jsonl"))) {
            JsonNode n = json.readTree(line);
            for (String kind : List.of("trained", "stale")) {
                if (n.has(kind)) {
                    n.get(kind).forEach(k -> assertTrue(seen.add(k.asLong()), "prompt " + k + " resolved twice"));
                }
            }
            trainedSteps += n.has("trained") ? 1 : 0;
        }
        assertEquals(steps, trainedSteps);
        JsonNode last = json.readTree(Files.readAllLines(tmp.resolve("run/metrics.jsonl")).get(steps - 1));
        assertTrue(last.get("samples_trained_failed_total").asLong() > 0, last.toString());
    }
}
