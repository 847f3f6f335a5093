package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.groupflow.checkpoint.RunCheckpoints;
import dev.groupflow.model.TinyModels;
import dev.groupflow.run.RunAssembly;
import dev.groupflow.run.RunConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * With a KL penalty whose reference model moves towards the policy ({@code grpo.ref-sync-every}), the reference is
 * part of the run's state: a run stopped at a checkpoint and resumed ends with the weights of the same run
 * uninterrupted (deterministic mode), which needs the moved reference restored, not the initial one.
 */
class ReferenceResumeTest {
    private static RunConfig config(int steps) {
        return PipelineRuns.config("deterministic=true", "pipeline.mode=lockstep", "grpo.beta=0.2",
                "grpo.ref-sync-every=1", "grpo.ref-sync-alpha=0.5", "checkpoint.every=2", "train.steps=" + steps,
                "optim.lr=3e-3");
    }

    @Test
    void theSyncedReferenceIsCheckpointedAndRestored(@TempDir Path tmp) throws Exception {
        float[] uninterrupted;
        try (RunAssembly s = PipelineRuns.setup(config(4), tmp.resolve("whole"))) {
            assertTrue(PipelineRuns.lockstep(s).ok());
            uninterrupted = PipelineRuns.weights(s);
        }
        Path run = tmp.resolve("split");
        try (RunAssembly s = PipelineRuns.setup(config(2), run)) {
            assertTrue(PipelineRuns.lockstep(s).ok());
            // the KL penalty is finite, so updates happen and the reference moves with the policy
            for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
                assertTrue(line.contains("\"skipped_updates\":0.0"), line);
            }
        }
        assertTrue(Files.isRegularFile(run.resolve("checkpoints/step-2/" + RunCheckpoints.REFERENCE_FILE)));
        try (RunAssembly s = RunAssembly.create(config(4), run, true)) {
            assertEquals(2, s.start().step());
            // the restored reference is the moved one, not the initial policy
            float[] reference = TinyModels.flatWeights(s.reference().orElseThrow());
            try (RunAssembly fresh = PipelineRuns.setup(config(4), tmp.resolve("fresh"))) {
                assertTrue(!Arrays.equals(reference, TinyModels.flatWeights(fresh.reference().orElseThrow())),
                        "the reference moved during the first two steps");
            }
            assertTrue(PipelineRuns.lockstep(s).ok());
            assertArrayEquals(uninterrupted, PipelineRuns.weights(s), 0f, "bit-identical to the uninterrupted run");
        }
    }
}
