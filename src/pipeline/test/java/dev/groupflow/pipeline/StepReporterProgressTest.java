package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.grpo.Learner;
import dev.groupflow.metrics.PipelineGauges;
import dev.groupflow.metrics.ProgressLine;
import dev.groupflow.metrics.RunFiles;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The reporter's console output in both modes, through a stream of our own. */
class StepReporterProgressTest {
    private final ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    private final PrintStream out = new PrintStream(bytes, true, StandardCharsets.UTF_8);

    private static Learner.StepResult result(int step) {
        return new Learner.StepResult(true, Map.of("reward_mean", 0.1 * step, "loss", -0.01, "kl", 0.002),
                new double[0]);
    }

    private void report(StepReporter reporter, int steps) {
        for (int s = 1; s <= steps; s++) {
            reporter.report(s, s, List.of(), s - 1, result(s));
        }
    }

    @Test
    void plainModePrintsAWholeLineEveryFewStepsAndAtTheEnd(@TempDir Path tmp) throws Exception {
        try (RunFiles files = new RunFiles(tmp)) {
            report(new StepReporter(files, new PipelineGauges(), 5, 2, 0, out, 0), 5);
        }
        List<String> lines = bytes.toString(StandardCharsets.UTF_8).lines().toList();
        assertEquals(3, lines.size(), lines.toString());
        assertTrue(lines.get(0).startsWith("step 2/5  reward 0.200  loss -0.0100  kl 0.0020"), lines.get(0));
        assertTrue(lines.get(1).startsWith("step 4/5"), lines.get(1));
        assertTrue(lines.get(2).startsWith("step 5/5"), lines.get(2));
        assertFalse(bytes.toString(StandardCharsets.UTF_8).contains("\r"));
        assertFalse(bytes.toString(StandardCharsets.UTF_8).contains("\u001b"));
        assertEquals(5, Files.readAllLines(tmp.resolve("metrics.jsonl")).size());
    }

    @Test
    void ttyModeRewritesOneLineEveryStepAndEndsIt(@TempDir Path tmp) {
        List<Long> seen = new ArrayList<>();
        try (RunFiles files = new RunFiles(tmp)) {
            StepReporter reporter = new StepReporter(files, new PipelineGauges(), 5, 2, 0,
                    ProgressLine.inPlace(out, Duration.ZERO, 200), 0);
            reporter.addListener(line -> seen.add((Long) line.get("step")));
            report(reporter, 5);
        }
        String text = bytes.toString(StandardCharsets.UTF_8);
        String[] draws = text.split("\r", -1);
        assertEquals("", draws[0], "every draw starts with a carriage return");
        assertEquals(6, draws.length, text);
        for (int s = 1; s <= 5; s++) {
            assertTrue(draws[s].startsWith("step " + s + "/5  eta "), draws[s]);
            assertTrue(draws[s].contains("reward " + String.format("%.3f", 0.1 * s)) && draws[s].contains("kl 0.0020"),
                    draws[s]);
            assertTrue(draws[s].endsWith(ProgressLine.CLEAR + (s == 5 ? System.lineSeparator() : "")), draws[s]);
        }
        assertEquals(List.of(1L, 2L, 3L, 4L, 5L), seen);
    }
}
