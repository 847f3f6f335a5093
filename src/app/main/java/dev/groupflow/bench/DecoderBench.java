package dev.groupflow.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import ai.djl.pytorch.jni.JniUtils;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.groupflow.grpo.GrpoConfig;
import dev.groupflow.grpo.Learner;
import dev.groupflow.grpo.LrSchedule;
import dev.groupflow.grpo.TrainingSample;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.MemoryPlan;
import dev.groupflow.model.TrainingMemory;
import dev.groupflow.model.tokenizer.IdTokenizer;
import dev.groupflow.sampling.SamplingParams;
import dev.groupflow.sampling.Sampler;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Throughput of the policy model at the reference shapes: KV-cache sampling (prefill, then one token at a time
 * for the whole batch, exactly {@code newTokens} per sequence) and a full GRPO training step. Each prints one
 * JSON line with {@code tokens_per_s}.
 */
public final class DecoderBench {
    private static final ObjectMapper JSON = new ObjectMapper();

    private DecoderBench() {
    }

    /** Sets PyTorch's intra-op thread count (the reference's second argument). */
    public static void threads(int n) {
        if (n > 0) {
            Engine.getInstance(); // loads the native library
            JniUtils.setNumThreads(n);
        }
    }

    public static ObjectNode sampler(BenchShape s, int repeats) {
        try (NDManager root = NDManager.newBaseManager();
             CausalLm model = CausalLm.random(s.modelConfig(), root, 0)) {
            model.setRequiresGradient(false);
            ObjectNode out = header(s.name(), "sample_kv_cache", model, s.batch());
            out.setAll(sampler(model, s.batch(), s.prompt(), s.newTokens(), repeats));
            return out;
        }
    }

    /**
     * Sampling throughput of a model: {@code batch} prompts of {@code prompt} random tokens, {@code newTokens} new
     * tokens each (no end of sequence), temperature 1; median of the timed runs after a warm-up.
     */
    public static ObjectNode sampler(CausalLm model, int batch, int prompt, int newTokens, int repeats) {
        int vocab = model.config().vocabSize();
        Random rng = new Random(0);
        List<Sampler.Request> requests = new ArrayList<>();
        for (int b = 0; b < batch; b++) {
            int[] ids = new int[prompt];
            for (int j = 0; j < ids.length; j++) {
                ids[j] = rng.nextInt(vocab);
            }
            requests.add(new Sampler.Request(b, ids, 1));
        }
        Sampler sampler = new Sampler(model, new IdTokenizer(vocab), Set.of());
        SamplingParams params = SamplingParams.standard(newTokens);
        sampler.generate(requests, params, 0, 0); // warm-up
        double[] seconds = new double[repeats];
        for (int i = 0; i < repeats; i++) {
            long t0 = System.nanoTime();
            sampler.generate(requests, params, 0, i + 1);
            seconds[i] = (System.nanoTime() - t0) / 1e9;
        }
        double median = median(seconds);
        ObjectNode out = JSON.createObjectNode();
        out.put("prompt", prompt);
        out.put("new_tokens", newTokens);
        out.put("tokens_per_s", round1(batch * newTokens / median));
        out.put("seconds", round3(median));
        out.set("runs_s", JSON.valueToTree(Arrays.stream(seconds).map(DecoderBench::round3).toArray()));
        return out;
    }

    /**
     * A full GRPO step (the {@link Learner}: forward, per-token log-probs and entropy, clipped loss with
     * token-mean aggregation, backward, global-norm clip, AdamW) on B = 16 sequences: 4 groups of 4, a one-token
     * prompt and a completion of trainLen − 1 tokens, so the predicted tokens match the reference's B × (L − 1).
     */
    public static ObjectNode learner(BenchShape s, int repeats) {
        try (NDManager root = NDManager.newBaseManager();
             CausalLm model = CausalLm.random(s.modelConfig(), root, 0)) {
            ObjectNode out = header(s.name(), "grpo_train_step", model, s.batch());
            out.setAll(learner(model, s.batch(), s.trainLen(), repeats));
            return out;
        }
    }

    /**
     * A full GRPO step of a model (its trainable parameters: adapters when it has them) on {@code batch}
     * sequences in groups of 4 (or of {@code batch} when fewer): a one-token prompt and trainLen − 1 completion
     * tokens. Mean of the timed steps after a warm-up.
     */
    public static ObjectNode learner(CausalLm model, int batch, int trainLen, int repeats) {
        List<List<TrainingSample>> groups = randomGroups(model.config().vocabSize(), batch, trainLen);
        try (Learner learner = new Learner(model, null, stepConfig(batch, trainLen, 0.0), 0)) {
            learner.step(groups); // warm-up (the optimizer's moments exist from here on)
            long before = MemoryPlan.residentBytes();
            resetPeakResident();
            double[] seconds = new double[repeats];
            for (int i = 0; i < repeats; i++) {
                long t0 = System.nanoTime();
                learner.step(groups);
                seconds[i] = (System.nanoTime() - t0) / 1e9;
            }
            double mean = Arrays.stream(seconds).average().orElseThrow();
            ObjectNode out = JSON.createObjectNode();
            out.put("seq_len", trainLen);
            out.put("trained", model.trainableParameterCount());
            out.put("recompute", model.trainingMemory().recompute());
            out.put("tokens_per_s", round1(batch * (trainLen - 1) / mean));
            out.put("seconds", round3(mean));
            out.set("runs_s", JSON.valueToTree(Arrays.stream(seconds).map(DecoderBench::round3).toArray()));
            long peak = MemoryPlan.statusBytes(ProcessHandle.current().pid(), "VmHWM:");
            if (before > 0 && peak > 0) {
                // what a step adds on top of the weights, gradients and moments held between steps
                out.put("step_peak_rss_gib", Math.round((peak - before) / (double) (1L << 30) * 100) / 100.0);
            }
            return out;
        }
    }

    /**
     * The training step of {@link #learner(BenchShape, int)} without and with an entropy bonus
     * ({@code grpo.entropy-coef}), on two copies of one model in one process: both warmed up, then their timed steps
     * alternate (plain, bonus, plain, ...) so that both see the same machine. Prints the median of each and the
     * bonus's as a ratio to the plain step's, and the most resident memory a step of each added.
     *
     * @param chunkBytes logits per LM-head chunk ({@code memory.logits-chunk}); 0 = the default (one chunk at the
     *     bench shapes: the plain graph), less = the chunked head of real-size vocabularies
     */
    public static ObjectNode entropyBonus(BenchShape s, int repeats, double coef, long chunkBytes) {
        try (NDManager root = NDManager.newBaseManager();
             CausalLm plainModel = CausalLm.random(s.modelConfig(), root, 0);
             CausalLm bonusModel = plainModel.copy(root)) {
            if (chunkBytes > 0) {
                plainModel.setTrainingMemory(new TrainingMemory(chunkBytes, false));
                bonusModel.setTrainingMemory(new TrainingMemory(chunkBytes, false));
            }
            ObjectNode out = header(s.name(), "grpo_train_step_entropy_bonus", plainModel, s.batch());
            out.put("logits_chunk_mib", (chunkBytes > 0 ? chunkBytes : TrainingMemory.DEFAULT.logitsChunkBytes())
                    >> 20);
            List<List<TrainingSample>> groups = randomGroups(s.vocab(), s.batch(), s.trainLen());
            try (Learner plain = new Learner(plainModel, null, stepConfig(s.batch(), s.trainLen(), 0.0), 0);
                 Learner bonus = new Learner(bonusModel, null, stepConfig(s.batch(), s.trainLen(), coef), 0)) {
                plain.step(groups); // warm-up of each
                bonus.step(groups);
                double[][] seconds = new double[2][repeats];
                long[] peakAdded = new long[2];
                Learner[] learners = {plain, bonus};
                for (int i = 0; i < repeats; i++) {
                    for (int k = 0; k < 2; k++) {
                        long before = MemoryPlan.residentBytes();
                        resetPeakResident();
                        long t0 = System.nanoTime();
                        learners[k].step(groups);
                        seconds[k][i] = (System.nanoTime() - t0) / 1e9;
                        long peak = MemoryPlan.statusBytes(ProcessHandle.current().pid(), "VmHWM:");
                        if (before > 0 && peak > 0) {
                            peakAdded[k] = Math.max(peakAdded[k], peak - before);
                        }
                    }
                }
                out.put("seq_len", s.trainLen());
                out.put("entropy_coef", coef);
                String[] names = {"plain", "bonus"};
                for (int k = 0; k < 2; k++) {
                    ObjectNode o = out.putObject(names[k]);
                    o.put("seconds", round3(median(seconds[k])));
                    o.set("runs_s", JSON.valueToTree(Arrays.stream(seconds[k]).map(DecoderBench::round3).toArray()));
                    o.put("step_peak_rss_mib", Math.round(peakAdded[k] / (double) (1L << 20)));
                }
                out.put("seconds_ratio", round3(median(seconds[1]) / median(seconds[0])));
                if (peakAdded[0] > 0) {
                    out.put("step_peak_rss_ratio", round3(peakAdded[1] / (double) peakAdded[0]));
                }
                return out;
            }
        }
    }

    /** The bench's learner settings: one micro-batch, a tiny constant learning rate. */
    private static GrpoConfig stepConfig(int batch, int trainLen, double entropyCoef) {
        return GrpoConfig.defaults(Math.min(4, batch), trainLen).with(c -> {
            c.microBatchTokens = batch * trainLen;
            c.schedule = LrSchedule.constant(1e-5);
            c.entropyCoef = entropyCoef;
        });
    }

    /** Groups of 4 (or of {@code batch}): a one-token prompt, trainLen − 1 random tokens, random rewards. */
    private static List<List<TrainingSample>> randomGroups(int vocab, int batch, int trainLen) {
        int groupSize = Math.min(4, batch);
        Random rng = new Random(0);
        List<List<TrainingSample>> groups = new ArrayList<>();
        for (int g = 0; g < batch / groupSize; g++) {
            List<TrainingSample> group = new ArrayList<>();
            for (int i = 0; i < groupSize; i++) {
                int[] completion = rng.ints(trainLen - 1, 0, vocab).toArray();
                float[] behaviour = new float[completion.length];
                for (int j = 0; j < behaviour.length; j++) {
                    behaviour[j] = (float) (-Math.log(vocab) + 0.1 * rng.nextGaussian());
                }
                group.add(new TrainingSample(g, i, new int[] {rng.nextInt(vocab)}, completion, behaviour,
                        rng.nextDouble(), Map.of(), false, 0));
            }
            groups.add(group);
        }
        return groups;
    }

    /** Resets the process's peak resident size (VmHWM) to its current one (Linux: clear_refs 5). */
    static void resetPeakResident() {
        try {
            Files.writeString(Path.of("/proc/self/clear_refs"), "5");
        } catch (IOException | RuntimeException e) {
            // not Linux: the peak then covers the whole process
        }
    }

    static ObjectNode header(String shape, String what, CausalLm model, int batch) {
        ObjectNode out = JSON.createObjectNode();
        out.put("shape", shape);
        out.put("what", what);
        out.put("params", model.parameterCount());
        out.put("batch", batch);
        out.put("threads", JniUtils.getNumThreads());
        return out;
    }

    static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    static double round1(double x) {
        return Math.round(x * 10) / 10.0;
    }

    static double round3(double x) {
        return Math.round(x * 1000) / 1000.0;
    }
}
