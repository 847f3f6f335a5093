package dev.groupflow.bench;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.HfCheckpoints;
import dev.groupflow.model.MemoryPlan;
import dev.groupflow.model.MemorySettings;
import dev.groupflow.model.TrainingMemory;
import dev.groupflow.model.lora.LoraAdapters;
import dev.groupflow.model.lora.LoraConfig;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * Real-size figures (never in CI: it needs two real-size checkpoints, about 20 GiB free and an hour):
 * <ol>
 *   <li>{@code runs}: the training runs of issue 14's check as child processes, each with its peak resident memory
 *       (VmHWM, sampled every second) and its seconds per step: 0.5B full fine-tuning + KL, 1.5B LoRA r16 + KL,
 *       and 1.5B full fine-tuning, which must refuse at start with its memory plan;</li>
 *   <li>{@code throughput}: sampling and learner tokens per second on the same checkpoints against the eager-PyTorch
 *       reference {@code realsize_ref.py} (shipped in the jar, run with Debian's {@code python3-torch}) on the same
 *       shapes and rows, run back to back in this process and a child process, never at the same time; at 1.5B the
 *       sampler with its adapters applied on the fly and on merged weights.</li>
 * </ol>
 * Every figure is printed as a JSON line; ratios are against the reference measured in the same run.
 */
public final class RealsizeBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * @param model05 a 0.5B checkpoint directory ({@code realsize_ckpt.py DIR --shape 0.5b})
     * @param model15 a 1.5B checkpoint directory ({@code --shape 1.5b})
     * @param prompts math prompts ({@code math_prompts.py FILE 64})
     * @param parts runs and/or throughput (both shapes), or throughput-0.5b or throughput-1.5b (one)
     * @param bothRecomputeModes the 0.5B learner with recomputation (what a run does at that size) and also without
     */
    public record Options(Path model05, Path model15, Path prompts, int threads, String python, Set<String> parts,
                          int repeats, Path workDir, boolean bothRecomputeModes) {
    }

    private RealsizeBench() {
    }

    public static void run(Options o) throws Exception {
        Files.createDirectories(o.workDir());
        if (o.parts().contains("runs")) {
            print(trainRun(o, "0.5b full + KL", o.model05(), List.of()));
            print(trainRun(o, "1.5b LoRA r16 + KL", o.model15(), List.of("lora.rank=16")));
            print(trainRun(o, "1.5b full + KL (must refuse)", o.model15(), List.of()));
        }
        if (o.parts().contains("throughput") || o.parts().contains("throughput-0.5b")) {
            throughput05(o);
        }
        if (o.parts().contains("throughput") || o.parts().contains("throughput-1.5b")) {
            throughput15(o);
        }
    }

    /** The check's run as a child process; its peak RSS, exit status, wall time and seconds per step. */
    static ObjectNode trainRun(Options o, String name, Path model, List<String> extra) throws Exception {
        Path run = o.workDir().resolve("run-" + name.replaceAll("[^a-z0-9.]+", "-"));
        deleteTree(run);
        List<String> cmd = new ArrayList<>(List.of(launcher().toString(), "train", "--model", model.toString(),
                "--prompts", o.prompts().toString(), "--verifier", "math", "--no-dashboard", "--run-dir",
                run.toString()));
        for (String set : List.of("grpo.group-size=4", "train.batch-groups=2", "train.steps=2",
                "sampling.max-new-tokens=128", "grpo.beta=0.04", "checkpoint.every=0", "log.progress=plain")) {
            cmd.add("--set");
            cmd.add(set);
        }
        for (String set : extra) {
            cmd.add("--set");
            cmd.add(set);
        }
        Path log = o.workDir().resolve(run.getFileName() + ".log");
        ProcessBuilder pb = new ProcessBuilder(cmd).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.to(log.toFile()));
        pb.environment().put("GROUPFLOW_SKIP_BUILD", "1");
        long t0 = System.nanoTime();
        Process p = pb.start();
        long peak = 0;
        while (!p.waitFor(1, TimeUnit.SECONDS)) {
            peak = Math.max(peak, MemoryPlan.statusBytes(p.pid(), "VmHWM:"));
        }
        ObjectNode out = JSON.createObjectNode();
        out.put("what", "train_run");
        out.put("run", name);
        out.put("exit", p.exitValue());
        out.put("peak_rss_gib", round2(peak / (double) (1L << 30)));
        out.put("wall_s", DecoderBench.round1((System.nanoTime() - t0) / 1e9));
        Path metrics = run.resolve("metrics.jsonl");
        if (Files.exists(metrics)) {
            List<Double> seconds = new ArrayList<>();
            for (String line : Files.readAllLines(metrics)) {
                JsonNode m = JSON.readTree(line);
                seconds.add(DecoderBench.round1(m.get("step_seconds").asDouble()));
                out.put("tokens_generated", m.get("tokens_generated_total").asLong());
            }
            out.set("step_seconds", JSON.valueToTree(seconds));
        }
        String text = Files.readString(log);
        int plan = text.indexOf("memory plan (GiB)");
        if (plan >= 0) {
            int end = text.indexOf("\n  total", plan);
            out.put("plan_total", end < 0 ? "" : text.substring(end + 3, text.indexOf('\n', end + 3)).trim());
        }
        out.put("log", log.toString());
        return out;
    }

    /** Rows of the throughput figures: sampling B prompts of P tokens, N new each; training B' rows of L tokens. */
    private static final int BATCH = 8;
    private static final int PROMPT = 64;
    private static final int NEW_TOKENS = 128;
    private static final int TRAIN_BATCH = 4;
    private static final int TRAIN_LEN = 128;

    private static void throughput05(Options o) throws Exception {
        try (NDManager root = NDManager.newBaseManager(); CausalLm model = HfCheckpoints.load(o.model05(), root)) {
            model.setRequiresGradient(false);
            ObjectNode s = DecoderBench.header("0.5b", "sample_kv_cache", model, BATCH);
            s.setAll(DecoderBench.sampler(model, BATCH, PROMPT, NEW_TOKENS, o.repeats()));
            print(s);
            for (boolean recompute : o.bothRecomputeModes() ? new boolean[] {true, false} : new boolean[] {true}) {
                model.setTrainingMemory(new TrainingMemory(MemorySettings.DEFAULT.logitsChunk(), recompute));
                ObjectNode l = DecoderBench.header("0.5b", "grpo_train_step", model, TRAIN_BATCH);
                l.setAll(DecoderBench.learner(model, TRAIN_BATCH, TRAIN_LEN, o.repeats()));
                print(l);
            }
        }
        for (JsonNode ref : reference(o, o.model05(), BATCH, PROMPT, NEW_TOKENS, TRAIN_BATCH, TRAIN_LEN, 0)) {
            print((ObjectNode) ref);
        }
    }

    private static void throughput15(Options o) throws Exception {
        LoraConfig lora = new LoraConfig(16, 32, LoraConfig.ALL_TARGETS, 0, "adapters");
        try (NDManager root = NDManager.newBaseManager(); CausalLm model = HfCheckpoints.load(o.model15(), root)) {
            model.attachAdapters(LoraAdapters.create(model.config(), lora, model.manager(), 0, o.model15()));
            model.setTrainingMemory(MemorySettings.DEFAULT.trainingMemory(model.parameterCount()));
            ObjectNode l = DecoderBench.header("1.5b", "grpo_train_step_lora16", model, TRAIN_BATCH);
            l.setAll(DecoderBench.learner(model, TRAIN_BATCH, TRAIN_LEN, o.repeats()));
            print(l);
            model.setRequiresGradient(false);
            ObjectNode s = DecoderBench.header("1.5b", "sample_kv_cache_adapters", model, BATCH);
            s.setAll(DecoderBench.sampler(model, BATCH, PROMPT, NEW_TOKENS, o.repeats()));
            print(s);
            try (CausalLm merged = model.merged(root)) {
                ObjectNode m = DecoderBench.header("1.5b", "sample_kv_cache_merged", merged, BATCH);
                m.setAll(DecoderBench.sampler(merged, BATCH, PROMPT, NEW_TOKENS, o.repeats()));
                print(m);
            }
        }
        for (JsonNode ref : reference(o, o.model15(), BATCH, PROMPT, NEW_TOKENS, TRAIN_BATCH, TRAIN_LEN, 16)) {
            print((ObjectNode) ref);
        }
    }

    /** The eager-PyTorch reference on the same checkpoint shape and rows, in a child process. */
    static List<JsonNode> reference(Options o, Path model, int batch, int prompt, int newTokens, int trainBatch,
                                    int trainLen, int lora) throws Exception {
        Path script = o.workDir().resolve("realsize_ref.py");
        try (InputStream in = RealsizeBench.class.getResourceAsStream("realsize_ref.py")) {
            Files.copy(in, script, StandardCopyOption.REPLACE_EXISTING);
        }
        List<JsonNode> out = new ArrayList<>();
        String[] what = {"sample", "train"};
        for (String w : what) {
            int b = w.equals("sample") ? batch : trainBatch;
            List<String> cmd = new ArrayList<>(List.of(o.python(), script.toString(), model.toString(), w,
                    Integer.toString(o.threads()), Integer.toString(b), Integer.toString(prompt),
                    Integer.toString(newTokens), Integer.toString(trainLen), "--repeats",
                    Integer.toString(o.repeats())));
            if (lora > 0) {
                cmd.add("--lora");
                cmd.add(Integer.toString(lora));
            }
            Process p = new ProcessBuilder(cmd).redirectError(ProcessBuilder.Redirect.INHERIT).start();
            String text = new String(p.getInputStream().readAllBytes());
            if (p.waitFor() != 0) {
                throw new IllegalStateException("the reference failed (" + p.exitValue() + "): " + cmd);
            }
            for (String line : text.split("\n")) {
                if (line.startsWith("{")) {
                    ObjectNode r = (ObjectNode) JSON.readTree(line);
                    r.put("what", "reference_" + r.get("what").asText());
                    out.add(r);
                }
            }
        }
        return out;
    }

    private static Path launcher() {
        String home = System.getProperty("groupflow.home", ".");
        return Path.of(home, "bin", "groupflow");
    }

    private static void print(ObjectNode line) {
        System.out.println(line);
        System.out.flush();
    }

    private static double round2(double x) {
        return Math.round(x * 100) / 100.0;
    }

    private static void deleteTree(Path p) throws IOException {
        if (!Files.exists(p)) {
            return;
        }
        try (Stream<Path> s = Files.walk(p)) {
            for (Path f : s.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(f);
            }
        }
    }

}
