package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.groupflow.data.DigitTask;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.HfCheckpoints;
import dev.groupflow.model.TinyModels;
import dev.groupflow.model.lora.LoraAdapters;
import dev.groupflow.model.lora.LoraConfig;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.model.tokenizer.Tokenizers;
import dev.groupflow.sampling.Policy;
import dev.groupflow.sampling.Sampler;
import dev.groupflow.sampling.SamplingParams;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void configErrorsAreAllReportedBeforeAnythingStarts(@TempDir Path tmp) {
        Path run = tmp.resolve("run");
        SampleCommandTest.Run r = SampleCommandTest.run("train", "--run-dir", run.toString(),
                "--set", "grpo.group-size=1", "--set", "train.batch-groups=6", "--set", "pipeline.sampler-batch-prompts=4",
                "--set", "no.such.key=1", "--prompts", tmp.resolve("missing.jsonl").toString());
        assertEquals(2, r.code(), r.err());
        for (String expected : List.of("grpo.group-size: must be >= 2", "unknown key 'no.such.key'",
                "6 is not divisible by pipeline.sampler-batch-prompts 4", "data.prompts: no such file")) {
            assertTrue(r.err().contains(expected), expected + " in " + r.err());
        }
        assertFalse(Files.exists(run), "nothing was started");
    }

    /**
     * A LoRA run's --export-merged directory is a plain Hugging Face checkpoint: `sample` loads it, and its logits
     * are the trained base-plus-adapters model's (the checkpoint holds only the adapters, which `sample` refuses).
     */
    @Test
    void aLoraRunExportsAMergedModelThatSampleLoads(@TempDir Path tmp) throws Exception {
        Path base = tmp.resolve("base");
        CharTokenizer chars = new CharTokenizer(DigitTask.ALPHABET);
        try (NDManager m = NDManager.newBaseManager();
             CausalLm model = CausalLm.random(TinyModels.qwen3(chars.vocabSize()), m, 6)) {
            HfCheckpoints.save(model, base, HfCheckpoints.DEFAULT_MAX_SHARD_BYTES);
            Tokenizers.save(chars, base);
        }
        Path run = tmp.resolve("run");
        Path merged = tmp.resolve("merged");
        SampleCommandTest.Run r = SampleCommandTest.run("train", "--run-dir", run.toString(), "--model",
                base.toString(), "--set", "lora.rank=4", "--set", "train.steps=3", "--set", "optim.lr=1e-2",
                "--set", "grpo.group-size=4", "--set", "train.batch-groups=2", "--set", "model.device=cpu",
                "--set", "task.eval-prompts=4", "--no-dashboard", "--export-merged", merged.toString());
        assertEquals(0, r.code(), r.err());
        assertTrue(Files.isRegularFile(merged.resolve("model.safetensors")), "a plain checkpoint: " + r.err());
        assertTrue(r.err().contains("adapters merged"), r.err());
        SampleCommandTest.Run sample = SampleCommandTest.run("sample", "--model", merged.toString(), "--prompt",
                "123>", "-n", "2");
        assertEquals(0, sample.code(), sample.err());
        Path checkpoint = run.resolve("checkpoints/step-3");
        SampleCommandTest.Run refused = SampleCommandTest.run("sample", "--model", checkpoint.toString(), "--prompt",
                "123>");
        assertEquals(2, refused.code());
        assertTrue(refused.err().contains("--export-merged"), refused.err());
        try (NDManager m = NDManager.newBaseManager(); CausalLm plain = HfCheckpoints.load(merged, m);
             CausalLm adapted = HfCheckpoints.load(base, m)) {
            LoraConfig lora = LoraAdapters.readConfig(checkpoint, LoraConfig.NONE);
            adapted.attachAdapters(LoraAdapters.load(adapted.config(), checkpoint, lora, adapted.manager(), 0));
            try (NDScope ignored = new NDScope()) {
                NDArray ids = m.create(new long[] {1, 2, 3, 4, 5, 6}, new Shape(1, 6)); // [1, T]
                NDArray mask = m.ones(new Shape(1, 6)); // [1, T]
                float[] a = plain.forward(ids, mask).toFloatArray();
                float[] b = adapted.forward(ids, mask).toFloatArray();
                float[] c;
                try (CausalLm baseOnly = adapted.baseView(m)) {
                    c = baseOnly.forward(ids, mask).toFloatArray();
                }
                assertArrayEquals(b, a, 1e-5f, "merged = base + adapters");
                assertFalse(Arrays.equals(b, c), "the trained adapters changed the model");
            }
        }
    }

    /** A run whose memory plan exceeds its budget refuses to start, printing the plan, before loading weights. */
    @Test
    void aRunOverItsMemoryBudgetRefusesWithThePlan(@TempDir Path tmp) {
        Path run = tmp.resolve("run");
        SampleCommandTest.Run r = SampleCommandTest.run("train", "--run-dir", run.toString(), "--set",
                "memory.budget=64M", "--set", "model.device=cpu", "--no-dashboard");
        assertEquals(2, r.code(), r.err());
        for (String part : List.of("does not fit in memory", "memory plan (GiB)", "policy weights", "gradients",
                "optimizer (AdamW)", "reference model", "sampler replica", "activations", "runtime", "total",
                "of 0.06 GiB (memory.budget)", "lora.rank")) {
            assertTrue(r.err().contains(part), part + " in " + r.err());
        }
        Path metrics = run.resolve("metrics.jsonl");
        assertTrue(!Files.exists(metrics) || metrics.toFile().length() == 0, "nothing was trained");
        SampleCommandTest.Run off = SampleCommandTest.run("train", "--run-dir", tmp.resolve("off").toString(),
                "--set", "memory.budget=off", "--set", "train.steps=1", "--set", "model.device=cpu", "--no-dashboard");
        assertEquals(0, off.code(), off.err());
    }

    @Test
    void theBuiltInTaskLearnsEndToEnd(@TempDir Path tmp) throws Exception {
        Path run = tmp.resolve("run");
        SampleCommandTest.Run r = SampleCommandTest.run("train", "--run-dir", run.toString(), "--set", "train.steps=500",
                "--set", "checkpoint.every=250", "--set", "log.every=250", "--set", "model.device=cpu", "--no-dashboard");
        assertEquals(0, r.code(), r.err());
        assertFalse(r.err().contains("dashboard"), "--no-dashboard serves none: " + r.err());
        JsonNode eval = JSON.readTree(run.resolve("eval.json").toFile());
        List<JsonNode> metrics = Files.readAllLines(run.resolve("metrics.jsonl")).stream().map(l -> {
            try {
                return JSON.readTree(l);
            } catch (Exception e) {
                throw new IllegalStateException(e);
            }
        }).toList();
        assertEquals(500, metrics.size());
        double first = metrics.subList(0, 10).stream().mapToDouble(m -> m.get("reward_mean").asDouble()).average()
                .orElseThrow();
        double last = metrics.subList(490, 500).stream().mapToDouble(m -> m.get("reward_mean").asDouble()).average()
                .orElseThrow();
        assertTrue(first < 0.15, "starts near chance: " + first);
        System.out.println("built-in task: reward " + first + " -> " + last + ", held-out " + eval.get("mean_reward"));
        assertTrue(last > 3 * first && last > 0.3, "learns: " + first + " -> " + last);
        assertTrue(eval.get("mean_reward").asDouble() > 0.3, "held-out: " + eval);
        assertEquals(200, eval.get("prompts").asInt());
        for (String key : List.of("policy_version", "staleness_mean", "staleness_max", "verifier_latency_p50_ms",
                "verifier_latency_p95_ms", "in_flight_prompts", "samples_generated_total", "tokens_generated_total",
                "wall_seconds")) {
            assertTrue(metrics.get(499).has(key), key);
        }
        assertTrue(Files.readAllLines(run.resolve("completions.jsonl")).size() > 0);
        assertTrue(Files.isRegularFile(run.resolve("config.conf")));
        try (Stream<Path> s = Files.list(run.resolve("checkpoints"))) {
            assertEquals(List.of("step-250", "step-500"),
                    s.map(p -> p.getFileName().toString()).sorted().toList());
        }
    }

    @Test
    void fixtureModelsTrainOnAPromptsFileAndTheirCheckpointsReload(@TempDir Path tmp) throws Exception {
        Path prompts = tmp.resolve("prompts.jsonl");
        Files.writeString(prompts, """
                {"prompt": "ab>", "answer": "ba"}
                {"messages": [{"role": "user", "content": "abc>"}], "answer": "cba", "metadata": {"level": 1}}
                {"prompt": "ca>", "answer": "ac", "id": "row-3"}
                {"prompt": "this row cannot be encoded by the model's tokenizer", "answer": "x"}
                """);
        Path fixtures = Path.of(getClass().getResource("/fixtures/models").toURI());
        Path lastModel = null;
        Path lastRun = null;
        try (Stream<Path> models = Files.list(fixtures)) {
            for (Path src : models.sorted().toList()) {
                Path model = tmp.resolve(src.getFileName() + "-model");
                Files.createDirectories(model);
                try (Stream<Path> files = Files.list(src)) {
                    for (Path f : files.toList()) {
                        Files.copy(f, model.resolve(f.getFileName()));
                    }
                }
                Files.writeString(model.resolve("groupflow_tokenizer.json"),
                        "{\"type\": \"chars\", \"alphabet\": \"abc>\"}");
                Path run = tmp.resolve(src.getFileName() + "-run");
                SampleCommandTest.Run r = SampleCommandTest.run("train", "--model", model.toString(), "--prompts",
                        prompts.toString(), "--verifier", "exact", "--run-dir", run.toString(),
                        "--set", "train.steps=2", "--set", "grpo.group-size=2", "--set", "train.batch-groups=2",
                        "--set", "pipeline.sampler-batch-prompts=2", "--set", "sampling.max-new-tokens=4",
                        "--set", "optim.lr=1e-3", "--set", "model.device=cpu", "--set", "eval.prompts=" + prompts,
                        "--set", "dashboard.port=0");
                assertEquals(0, r.code(), src.getFileName() + ": " + r.err());
                assertTrue(r.err().contains("groupflow: dashboard at http://127.0.0.1:"), r.err());
                assertTrue(Pattern.compile("dashboard at http://127\\.0\\.0\\.1:\\d+/\\?token=[A-Za-z0-9_-]{43} ")
                        .matcher(r.err()).find(), "printed with a fresh random token: " + r.err());
                Path checkpoint = run.resolve("checkpoints/step-2");
                try (NDManager m = NDManager.newBaseManager();
                     CausalLm original = HfCheckpoints.load(src, m);
                     CausalLm trained = HfCheckpoints.load(checkpoint, m)) {
                    assertEquals(original.config().withTorchDtype("float32"), trained.config());
                }
                List<String> lines = Files.readAllLines(run.resolve("metrics.jsonl"));
                assertEquals(2, lines.size());
                for (String line : lines) {
                    assertTrue(Double.isFinite(JSON.readTree(line).get("loss").asDouble()), line);
                }
                try (Policy p = Policy.load(checkpoint, Device.cpu())) {
                    assertEquals(1, new Sampler(p.model(), p.tokenizer()).generate(
                            List.of(new Sampler.Request(0, p.tokenizer().encode("ab>"), 1)),
                            SamplingParams.greedy(3), 0, 0).size());
                }
                JsonNode eval = JSON.readTree(run.resolve("eval.json").toFile());
                assertEquals(3, eval.get("prompts").asInt());
                assertEquals(1, eval.get("prompts_skipped").asInt());
                lastModel = model;
                lastRun = run;
            }
        }

        // the checkpoint records the prompts file's digest: a resume on the same rows continues ...
        List<String> resume = List.of("train", "--model", lastModel.toString(), "--prompts", prompts.toString(),
                "--verifier", "exact", "--run-dir", lastRun.toString(), "--resume", "--set", "grpo.group-size=2",
                "--set", "train.batch-groups=2", "--set", "pipeline.sampler-batch-prompts=2",
                "--set", "sampling.max-new-tokens=4", "--set", "optim.lr=1e-3", "--set", "model.device=cpu",
                "--set", "eval.prompts=" + prompts, "--set", "dashboard.enabled=false");
        List<String> three = new ArrayList<>(resume);
        three.addAll(List.of("--set", "train.steps=3"));
        SampleCommandTest.Run continued = SampleCommandTest.run(three.toArray(String[]::new));
        assertEquals(0, continued.code(), continued.err());
        assertEquals(3, Files.readAllLines(lastRun.resolve("metrics.jsonl")).size());
        // a resume of a run that has done all its steps has nothing to train: it ends (with its evaluation)
        SampleCommandTest.Run again = SampleCommandTest.run(three.toArray(String[]::new));
        assertEquals(0, again.code(), again.err());
        assertTrue(again.err().contains("groupflow: done: 3 steps"), again.err());
        assertEquals(3, Files.readAllLines(lastRun.resolve("metrics.jsonl")).size());
        // ... and one whose rows changed under the recorded keys is refused before anything starts
        Files.writeString(prompts, "{\"prompt\": \"cc>\", \"answer\": \"cc\"}\n",
                StandardOpenOption.APPEND);
        List<String> four = new ArrayList<>(resume);
        four.addAll(List.of("--set", "train.steps=4"));
        SampleCommandTest.Run refused = SampleCommandTest.run(four.toArray(String[]::new));
        assertEquals(2, refused.code(), refused.err());
        assertTrue(refused.err().contains("data.prompts: " + prompts + " has changed since the checkpoint"),
                refused.err());
        assertEquals(3, Files.readAllLines(lastRun.resolve("metrics.jsonl")).size(), "nothing ran");
    }
}
