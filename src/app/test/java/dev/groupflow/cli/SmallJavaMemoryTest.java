package dev.groupflow.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.HfCheckpoints;
import dev.groupflow.model.ModelConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Weights, their copies (reference model, sampler replica) and the optimizer's moments live in native memory only:
 * a whole training run with a KL reference and its final checkpoint succeeds in a JVM whose heap (160 MiB, most of it
 * taken by the tokenizer's 11 MB of JSON while it loads) and direct-buffer limit (4 MiB) are smaller than the model
 * (78 MB of weights, 156 MB of AdamW moments). Before,
 * every weight was a Java direct buffer and a checkpoint copied the moments into float arrays, so this run died
 * with "Cannot reserve ... bytes of direct buffer memory" (as a real-size run did at its limit of ~6 GB).
 */
class SmallJavaMemoryTest {

    /** A Qwen2-layout model over the real Qwen tokenizer (151,936 ids): 19.5 M parameters, nearly all embedding. */
    private static Path model(Path dir) throws IOException {
        ModelConfig config = new ModelConfig("qwen2", 151936, 128, 256, 1, 4, 2, 32, 1e-6, 10000.0, null, true, true,
                false, false, false, 512, 151643, List.of(151645, 151643), "float32");
        try (NDManager m = NDManager.newBaseManager(); CausalLm model = CausalLm.random(config, m, 5)) {
            assertTrue(model.parameterCount() * 4 > 77_000_000, "weights must dwarf the JVM's limits");
            HfCheckpoints.save(model, dir, HfCheckpoints.DEFAULT_MAX_SHARD_BYTES);
        }
        for (String f : List.of("tokenizer.json.gz", "tokenizer_config.json")) {
            try (InputStream in = SmallJavaMemoryTest.class.getResourceAsStream("/fixtures/qwen3-tokenizer/" + f)) {
                Files.copy(in, dir.resolve(f), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        return dir;
    }

    @Test
    void aRunWithReferenceAndCheckpointNeedsNoJavaMemoryForWeights(@TempDir Path tmp) throws Exception {
        Path dir = model(Files.createDirectories(tmp.resolve("model")));
        Path prompts = tmp.resolve("prompts.jsonl");
        Files.writeString(prompts, """
                {"messages": [{"role": "user", "content": "What is 2+3?"}], "answer": "5"}
                {"messages": [{"role": "user", "content": "What is 4+4?"}], "answer": "8"}
                """);
        Path run = tmp.resolve("run");
        Path log = tmp.resolve("log.txt");
        List<String> cmd = new ArrayList<>(List.of(Launcher.path(), "train", "--model", dir.toString(), "--prompts",
                prompts.toString(), "--verifier", "math", "--no-dashboard", "--run-dir", run.toString()));
        for (String set : List.of("grpo.group-size=2", "train.batch-groups=2", "train.steps=2", "grpo.beta=0.04",
                "sampling.max-new-tokens=4", "pipeline.sampler-batch-prompts=1", "checkpoint.every=0",
                "model.device=cpu", "log.progress=plain")) {
            cmd.add("--set");
            cmd.add(set);
        }
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().put("GROUPFLOW_SKIP_BUILD", "1");
        pb.environment().put("GROUPFLOW_JAVA_OPTS", "-Xss4m -Xmx160m -XX:MaxDirectMemorySize=4m");
        Process p = pb.start();
        assertTrue(p.waitFor(5, TimeUnit.MINUTES), "the run must finish");
        String out = Files.readString(log);
        assertEquals(0, p.exitValue(), out);
        Path checkpoint = run.resolve("checkpoints/step-2");
        assertTrue(Files.isRegularFile(checkpoint.resolve("optimizer.safetensors")), out);
        assertTrue(Files.size(checkpoint.resolve("optimizer.safetensors")) > 2 * 77_000_000, "every moment written");
    }
}
