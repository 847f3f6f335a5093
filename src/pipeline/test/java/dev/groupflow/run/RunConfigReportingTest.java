package dev.groupflow.run;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.config.ConfigProblems;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The keys of charts, progress output and periodic evaluation. */
class RunConfigReportingTest {

    @Test
    void defaults() {
        RunConfig c = RunConfig.load(null, List.of());
        assertEquals(50, c.charts().every());
        assertEquals("auto", c.log().progress());
        assertEquals(0, c.eval().every());
        assertEquals(1.0, c.eval().passThreshold());
        assertEquals(List.of(), c.eval().passK());
    }

    @Test
    void overrides() {
        RunConfig c = RunConfig.load(null, List.of("charts.every=0", "log.progress=TTY", "eval.every=100",
                "eval.samples=8", "eval.pass-k=[2, 4]", "eval.pass-threshold=0.5"));
        assertEquals(0, c.charts().every());
        assertEquals("tty", c.log().progress());
        assertEquals(100, c.eval().every());
        assertEquals(List.of(2, 4), c.eval().passK());
        assertEquals(0.5, c.eval().passThreshold());
    }

    @Test
    void badValuesAreReportedTogether(@TempDir Path tmp) throws Exception {
        Path prompts = tmp.resolve("p.jsonl");
        Files.writeString(prompts, "{\"prompt\": \"hi\", \"answer\": \"x\"}\n");
        ConfigProblems e = assertThrows(ConfigProblems.class, () -> RunConfig.load(null, List.of("charts.every=-1",
                "log.progress=fancy", "eval.samples=4", "eval.pass-k=[2, 9]", "eval.every=10",
                "data.prompts=" + prompts, "verifier.name=exact")));
        for (String expected : List.of("charts.every: must be >= 0", "log.progress: 'fancy' is not one of",
                "eval.pass-k: k = 9 must be in [1, eval.samples = 4]", "eval.every: needs held-out prompts")) {
            assertTrue(e.getMessage().contains(expected), expected + " in " + e.getMessage());
        }
    }
}
