package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.checkpoint.RunCheckpoints;
import dev.groupflow.grpo.GuidanceSchedule;
import dev.groupflow.run.RunAssembly;
import dev.groupflow.run.RunConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * G²RPO-A's guidance length is part of a run's state: a deterministic run with guided completions, stopped at a
 * checkpoint in the middle of ℓ's 3-step cycle and resumed, ends with the weights and the guidance state of the same
 * run uninterrupted, bit for bit; each step reports ℓ and the rewards of guided and unguided members.
 */
class GuidanceResumeTest {
    private static RunConfig config(int steps) {
        return PipelineRuns.config("deterministic=true", "pipeline.mode=lockstep", "task.name=hidden",
                "task.min-length=2", "task.max-length=3", "grpo.guidance.count=2", "grpo.guidance.initial-length=3",
                "grpo.guidance.max-length=5", "checkpoint.every=2", "train.steps=" + steps, "optim.lr=3e-3");
    }

    @Test
    void aResumedRunContinuesTheGuidanceLengthAndItsCycle(@TempDir Path tmp) throws Exception {
        float[] uninterrupted;
        GuidanceSchedule.State whole;
        try (RunAssembly s = PipelineRuns.setup(config(5), tmp.resolve("whole"))) {
            assertTrue(PipelineRuns.lockstep(s).ok());
            uninterrupted = PipelineRuns.weights(s);
            whole = s.guidance().orElseThrow().state();
        }
        Path run = tmp.resolve("split");
        try (RunAssembly s = PipelineRuns.setup(config(2), run)) {
            assertTrue(PipelineRuns.lockstep(s).ok());
        }
        Path checkpoint = run.resolve("checkpoints/step-2");
        GuidanceSchedule.State saved = RunCheckpoints.guidance(checkpoint).orElseThrow();
        assertEquals(2, saved.length().cycle().size(), "stopped in the middle of a cycle: " + saved);
        try (RunAssembly s = RunAssembly.create(config(5), run, true)) {
            assertEquals(2, s.start().step());
            assertEquals(saved, s.guidance().orElseThrow().state());
            assertTrue(PipelineRuns.lockstep(s).ok());
            assertArrayEquals(uninterrupted, PipelineRuns.weights(s), 0f, "bit-identical to the uninterrupted run");
            assertEquals(whole, s.guidance().orElseThrow().state());
        }
        ObjectMapper json = new ObjectMapper();
        List<Double> lengths = new ArrayList<>();
        for (String line : Files.readAllLines(tmp.resolve("whole/metrics.jsonl"))) {
            JsonNode m = json.readTree(line);
            lengths.add(m.get("guidance_length").asDouble());
            assertEquals(0.5, m.get("guided_fraction").asDouble(), line);
            assertTrue(m.has("reward_guided_mean") && m.has("reward_unguided_mean"), line);
        }
        assertEquals(5, lengths.size());
        assertEquals(lengths, readLengths(json, run.resolve("metrics.jsonl")), "the same l, step by step");
    }

    private static List<Double> readLengths(ObjectMapper json, Path metrics) throws Exception {
        List<Double> out = new ArrayList<>();
        for (String line : Files.readAllLines(metrics)) {
            out.add(json.readTree(line).get("guidance_length").asDouble());
        }
        return out;
    }
}
