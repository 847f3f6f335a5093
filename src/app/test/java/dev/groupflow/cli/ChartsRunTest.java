package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.metrics.Charts;
import dev.groupflow.testkit.ChartImages;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A real short training run: charts during and after it, evaluation every N steps, and the plot command. */
class ChartsRunTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final List<String> CHARTS = List.of("clipping.png", "completion_length.png", "entropy.png",
            "eval.png", "loss.png", "reward.png", "staleness.png", "throughput.png", "verifier_latency.png");

    @Test
    void trainingDrawsChartsAndEvaluatesEveryNStepsAndPlotRedrawsThem(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        SampleCommandTest.Run r = SampleCommandTest.run("train", "--run-dir", run.toString(),
                "--set", "train.steps=6", "--set", "grpo.group-size=4", "--set", "train.batch-groups=4",
                "--set", "pipeline.sampler-batch-prompts=2", "--set", "sampling.max-new-tokens=6",
                "--set", "checkpoint.every=0", "--set", "model.device=cpu", "--set", "log.progress=plain",
                "--set", "log.every=2", "--set", "charts.every=2", "--set", "eval.every=2",
                "--set", "task.eval-prompts=8", "--set", "eval.samples=3", "--set", "eval.temperature=1.0");
        assertEquals(0, r.code(), r.err());

        List<JsonNode> evals = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("eval.jsonl"))) {
            evals.add(JSON.readTree(line));
        }
        assertEquals(List.of(2L, 4L, 6L), evals.stream().map(e -> e.get("step").asLong()).toList());
        for (JsonNode e : evals) {
            assertEquals(8, e.get("prompts").asInt());
            assertEquals(List.of("1", "3"), names(e.get("pass_at_k")));
        }
        assertEquals(evals.get(2), JSON.readTree(run.resolve("eval.json").toFile()), "eval.json is the final one");
        for (String expected : List.of("step 2/6", "step 6/6", "groupflow: eval at step 2:", "eval at step 4:",
                "charts in " + run.resolve("charts"))) {
            assertTrue(r.err().contains(expected), expected + " in " + r.err());
        }

        Path charts = run.resolve("charts");
        assertEquals(CHARTS, list(charts), "kl (beta = 0) and reward components (one verifier) have no data");
        for (String name : CHARTS) {
            ChartImages.assertDrawn(charts.resolve(name), Charts.WIDTH, Charts.HEIGHT);
        }

        // plot redraws them from the files, a torn last line (a crash mid-write) notwithstanding
        try (Stream<Path> files = Files.list(charts)) {
            for (Path f : files.toList()) {
                Files.delete(f);
            }
        }
        Files.writeString(run.resolve("metrics.jsonl"), "{\"step\": 7, \"reward_mean\": 0.5, \"wall_se",
                StandardOpenOption.APPEND);
        SampleCommandTest.Run plot = SampleCommandTest.run("plot", run.toString());
        assertEquals(0, plot.code(), plot.err());
        assertEquals(CHARTS.size(), plot.out().lines().count(), plot.out());
        assertEquals(CHARTS, list(charts));
        for (String name : CHARTS) {
            ChartImages.assertDrawn(charts.resolve(name), Charts.WIDTH, Charts.HEIGHT);
        }
    }

    @Test
    void plotNeedsAMetricsFile(@TempDir Path tmp) {
        SampleCommandTest.Run r = SampleCommandTest.run("plot", tmp.toString());
        assertEquals(2, r.code());
        assertTrue(r.err().contains("no metrics.jsonl in " + tmp), r.err());
        assertFalse(Files.exists(tmp.resolve("charts")));
    }

    private static List<String> list(Path dir) throws Exception {
        try (Stream<Path> s = Files.list(dir)) {
            return s.map(p -> p.getFileName().toString()).sorted().toList();
        }
    }

    private static List<String> names(JsonNode object) {
        List<String> out = new ArrayList<>();
        object.fieldNames().forEachRemaining(out::add);
        return out;
    }
}
