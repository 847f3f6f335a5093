package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.config.ConfigProblems;
import dev.groupflow.run.RunAssembly;
import dev.groupflow.run.RunConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * NGRPO end to end, with its recipe as shipped ({@code conf/presets/ngrpo.conf}): on the built-in task 'hidden' a
 * random policy gets every completion wrong, so GRPO has no signal at all; NGRPO trains on those all-wrong groups
 * with advantage −1/√(G+1) each, the filter keeps them (batches stay full), and the weights move.
 */
class NgrpoRunTest {
    private static final Path PRESET = Path.of(System.getProperty("groupflow.home", "."), "conf", "presets",
            "ngrpo.conf");

    private static RunConfig config(String... more) {
        List<String> sets = new ArrayList<>(List.of("task.name=hidden", "grpo.group-size=4", "train.batch-groups=4",
                "pipeline.sampler-batch-prompts=2", "train.steps=3", "checkpoint.every=0", "log.every=1000",
                "log.completions-every=0", "sampling.max-new-tokens=6", "model.device=cpu", "pipeline.mode=lockstep",
                "optim.lr=3e-3"));
        sets.addAll(List.of(more));
        return RunConfig.load(PRESET, sets);
    }

    @Test
    void thePresetIsNgrposRecipe() {
        RunConfig c = config();
        assertEquals(1, c.grpo().ngrpo().virtualCount());
        assertEquals(1.0, c.grpo().ngrpo().virtualReward());
        assertEquals(0.16, c.grpo().loss().epsLow());
        assertEquals(0.24, c.grpo().loss().epsHigh());
        assertEquals(0.0, c.grpo().loss().beta());
        assertTrue(c.pipeline().filterAllCorrect());
        assertFalse(c.pipeline().filterZeroVariance());
        assertEquals(null, config("grpo.advantage=grpo").grpo().ngrpo());
    }

    @Test
    void badNgrpoSettingsAreReportedTogether() {
        ConfigProblems e = assertThrows(ConfigProblems.class,
                () -> config("grpo.ngrpo.virtual-count=0", "grpo.scale=batch", "pipeline.filter-zero-variance=true"));
        String all = String.join("\n", e.problems());
        assertTrue(all.contains("grpo.ngrpo.virtual-count"), all);
        assertTrue(all.contains("pipeline.filter-all-correct"), all);
        e = assertThrows(ConfigProblems.class, () -> config("grpo.scale=batch"));
        assertTrue(String.join("\n", e.problems()).contains("needs grpo.scale = group"), e.getMessage());
    }

    @Test
    void allWrongGroupsAreTrainedOnWithTheirNegativeAdvantage(@TempDir Path tmp) throws Exception {
        float[] before;
        float[] after;
        try (RunAssembly s = PipelineRuns.setup(config(), tmp)) {
            before = PipelineRuns.weights(s);
            RunResult r = PipelineRuns.lockstep(s);
            assertTrue(r.ok(), r.toString());
            after = PipelineRuns.weights(s);
        }
        ObjectMapper json = new ObjectMapper();
        List<String> lines = Files.readAllLines(tmp.resolve("metrics.jsonl"));
        assertEquals(3, lines.size());
        int allWrongSteps = 0;
        for (String line : lines) {
            JsonNode m = json.readTree(line);
            assertEquals(4, m.get("groups").asInt(), "all-wrong groups are kept: " + line);
            if (m.get("reward_mean").asDouble() == 0.0) {
                allWrongSteps++;
                assertEquals(-1 / Math.sqrt(5), m.get("advantage_mean").asDouble(), 1e-5, line);
                assertEquals(0.0, m.get("advantage_std").asDouble(), 1e-6, line);
                assertEquals(0.0, m.get("zero_std_fraction").asDouble(), line);
            }
        }
        assertTrue(allWrongSteps > 0, "a random policy solves nothing of the hidden rule: " + lines);
        assertEquals(0, json.readTree(lines.get(2)).get("filtered_groups_total").asLong());
        assertFalse(Arrays.equals(before, after), "NGRPO trained on the all-wrong groups");
    }
}
