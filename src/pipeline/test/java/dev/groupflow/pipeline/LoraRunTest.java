package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import ai.djl.nn.Parameter;
import dev.groupflow.data.DigitTask;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.HfCheckpoints;
import dev.groupflow.model.TinyModels;
import dev.groupflow.model.lora.LoraAdapters;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.model.tokenizer.Tokenizers;
import dev.groupflow.run.RunAssembly;
import dev.groupflow.run.RunConfig;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Training with LoRA: the base stays exactly as loaded, only the adapters move, the KL reference is the base itself
 * (its arrays, not a copy), checkpoints hold the adapters (PEFT's files), and a run stopped at a checkpoint and
 * resumed ends with the adapters of the same run uninterrupted, bit for bit, dropout masks included.
 */
class LoraRunTest {

    /** A pretrained-model directory for the built-in task (random weights, the task's character tokenizer). */
    private static Path base(Path dir) throws Exception {
        CharTokenizer chars = new CharTokenizer(DigitTask.ALPHABET);
        try (NDManager m = NDManager.newBaseManager();
             CausalLm model = CausalLm.random(TinyModels.qwen3(chars.vocabSize()), m, 4)) {
            HfCheckpoints.save(model, Files.createDirectories(dir), HfCheckpoints.DEFAULT_MAX_SHARD_BYTES);
            Tokenizers.save(chars, dir);
        }
        return dir;
    }

    private static RunConfig config(Path model, int steps, String... more) {
        List<String> sets = new ArrayList<>(List.of("model.path=" + model, "lora.rank=4", "lora.alpha=8",
                "lora.dropout=0.1", "deterministic=true", "pipeline.mode=lockstep", "grpo.beta=0.04",
                "checkpoint.every=2", "train.steps=" + steps, "optim.lr=1e-2"));
        sets.addAll(List.of(more));
        return PipelineRuns.config(sets.toArray(String[]::new));
    }

    private static Map<String, float[]> adapters(RunAssembly s) {
        Map<String, float[]> out = new LinkedHashMap<>();
        for (Map.Entry<String, Parameter> e : s.policy().trainableParameters().entrySet()) {
            out.put(e.getKey(), e.getValue().getArray().toFloatArray());
        }
        return out;
    }

    @Test
    void onlyTheAdaptersTrainAndAResumedRunEndsBitIdentical(@TempDir Path tmp) throws Exception {
        Path model = base(tmp.resolve("base"));
        float[] baseWeights;
        try (NDManager m = NDManager.newBaseManager(); CausalLm loaded = HfCheckpoints.load(model, m)) {
            baseWeights = TinyModels.flatWeights(loaded);
        }
        Map<String, float[]> uninterrupted;
        try (RunAssembly s = PipelineRuns.setup(config(model, 4), tmp.resolve("whole"))) {
            assertNotNull(s.policy().adapters());
            // the reference is the frozen base: the same arrays, nothing copied
            CausalLm reference = s.reference().orElseThrow();
            for (Map.Entry<String, Parameter> e : s.policy().parameters().entrySet()) {
                assertSame(e.getValue().getArray(), reference.parameters().get(e.getKey()).getArray(), e.getKey());
            }
            Map<String, float[]> initial = adapters(s);
            assertTrue(PipelineRuns.lockstep(s).ok());
            uninterrupted = adapters(s);
            assertArrayEquals(baseWeights, TinyModels.flatWeights(s.policy()), 0f, "the base never moves");
            boolean moved = false;
            for (Map.Entry<String, float[]> e : initial.entrySet()) {
                moved |= !Arrays.equals(e.getValue(), uninterrupted.get(e.getKey()));
            }
            assertTrue(moved, "the adapters trained");
            for (String line : Files.readAllLines(tmp.resolve("whole/metrics.jsonl"))) {
                assertTrue(line.contains("\"skipped_updates\":0.0"), line);
            }
        }
        Path run = tmp.resolve("split");
        try (RunAssembly s = PipelineRuns.setup(config(model, 2), run)) {
            assertTrue(PipelineRuns.lockstep(s).ok());
        }
        Path checkpoint = run.resolve("checkpoints/step-2");
        assertTrue(LoraAdapters.isAdapterDirectory(checkpoint), "the checkpoint holds the adapters");
        assertFalse(Files.exists(checkpoint.resolve("model.safetensors")), "and not the frozen base");
        try (RunAssembly s = RunAssembly.create(config(model, 4), run, true)) {
            assertEquals(2, s.start().step());
            assertTrue(PipelineRuns.lockstep(s).ok());
            Map<String, float[]> resumed = adapters(s);
            for (Map.Entry<String, float[]> e : uninterrupted.entrySet()) {
                assertArrayEquals(e.getValue(), resumed.get(e.getKey()), 0f, e.getKey() + ": bit-identical");
            }
        }
    }

    /** Streaming with the sampler on merged weights trains as well (the replica merges after every update). */
    @Test
    void aStreamingRunWithAMergedSamplerTrains(@TempDir Path tmp) throws Exception {
        Path model = base(tmp.resolve("base"));
        RunConfig c = config(model, 3, "deterministic=false", "pipeline.mode=streaming", "lora.sampler=merged",
                "lora.dropout=0", "checkpoint.every=0");
        try (RunAssembly s = PipelineRuns.setup(c, tmp.resolve("run"))) {
            assertTrue(PipelineRuns.streaming(s, null).ok());
            assertEquals(3, Files.readAllLines(tmp.resolve("run/metrics.jsonl")).size());
        }
        assertTrue(LoraAdapters.isAdapterDirectory(tmp.resolve("run/checkpoints/step-3")));
    }
}
