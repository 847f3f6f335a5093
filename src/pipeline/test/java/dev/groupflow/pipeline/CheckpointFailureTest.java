package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.checkpoint.Checkpointer;
import dev.groupflow.run.RunAssembly;
import dev.groupflow.run.RunConfig;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/**
 * Checkpoint writes that really fail (the run's {@code checkpoints} directory replaced by a plain file, so every
 * write into it fails, for root too) in both pipeline modes: after {@code checkpoint.max-consecutive-failures} in a
 * row the run stops saying why; one that succeeds in between resets the count, and the run trains to the end.
 */
class CheckpointFailureTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    private static RunConfig config(String mode) {
        return PipelineRuns.config("pipeline.mode=" + mode, "checkpoint.every=1", "checkpoint.keep=3",
                "checkpoint.max-consecutive-failures=2", "train.steps=6");
    }

    private static RunResult run(String mode, RunAssembly s, Consumer<Map<String, Object>> listener)
            throws Exception {
        return mode.equals("lockstep") ? PipelineRuns.lockstep(s, listener) : PipelineRuns.streaming(s, listener);
    }

    /** Puts a plain file where the checkpoints directory was (which is moved aside to {@code aside}). */
    static void block(Path checkpoints, Path aside) {
        try {
            Files.move(checkpoints, aside);
            Files.writeString(checkpoints, "not a directory");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static void unblock(Path checkpoints, Path aside) {
        try {
            Files.delete(checkpoints);
            Files.move(aside, checkpoints);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static List<JsonNode> metrics(Path dir) throws IOException {
        List<JsonNode> out = new ArrayList<>();
        for (String l : Files.readAllLines(dir.resolve("metrics.jsonl"))) {
            out.add(JSON.readTree(l));
        }
        return out;
    }

    @ParameterizedTest
    @ValueSource(strings = {"streaming", "lockstep"})
    void checkpointsThatKeepFailingStopTheRunSayingWhy(String mode, @TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        try (RunAssembly s = PipelineRuns.setup(config(mode), dir)) {
            block(s.files().checkpoints(), tmp.resolve("aside"));
            RunResult r = run(mode, s, null);
            assertFalse(r.ok());
            assertTrue(r instanceof RunResult.Failed f && f.checkpointsFailed(), r.toString());
            assertTrue(PipelineRuns.reason(r).startsWith("2 checkpoints in a row failed (checkpoint.max-consecutive-failures = 2), "
                    + "the last at step 2: cannot write checkpoint " + s.files().checkpoints().resolve("step-2")),
                    PipelineRuns.reason(r));
            assertTrue(PipelineRuns.reason(r).contains("FileAlreadyExistsException: " + s.files().checkpoints()), PipelineRuns.reason(r));
            assertTrue(PipelineRuns.reason(r).endsWith("stopped at step 2 with no checkpoint written: make room (or fix the run "
                    + "directory) and start again"), PipelineRuns.reason(r));
        }
        List<JsonNode> lines = metrics(dir);
        assertEquals(2, lines.size(), "no step trained after the second failure");
        assertEquals(1, lines.get(1).get("checkpoint_failures_total").asInt(), "counted (the step's line precedes "
                + "its checkpoint)");
    }

    @ParameterizedTest
    @ValueSource(strings = {"streaming", "lockstep"})
    void aCheckpointThatSucceedsBetweenFailuresResetsTheCount(String mode, @TempDir Path tmp) throws Exception {
        Path dir = tmp.resolve("run");
        Path aside = tmp.resolve("aside");
        RunResult r;
        try (RunAssembly s = PipelineRuns.setup(config(mode), dir)) {
            Path checkpoints = s.files().checkpoints();
            // each step's line reaches listeners before that step's checkpoint is written: steps 2 and 4 fail
            r = run(mode, s, line -> {
                long step = ((Number) line.get("step")).longValue();
                if (step == 2 || step == 4) {
                    block(checkpoints, aside);
                } else if (step == 3 || step == 5) {
                    unblock(checkpoints, aside);
                }
            });
        }
        assertTrue(r.ok(), r.toString());
        assertEquals(6, r.steps());
        List<JsonNode> lines = metrics(dir);
        assertEquals(6, lines.size());
        assertEquals(2, lines.get(5).get("checkpoint_failures_total").asInt());
        List<String> kept = new Checkpointer(dir.resolve("checkpoints"), 3).complete().stream()
                .map(p -> p.getFileName().toString()).toList();
        assertEquals(List.of("step-6", "step-5", "step-3"), kept);
    }
}
