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
import dev.groupflow.model.tokenizer.IdTokenizer;
import dev.groupflow.sampling.SamplingParams;
import dev.groupflow.sampling.Sampler;
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
            Random rng = new Random(0);
            List<Sampler.Request> requests = new ArrayList<>();
            for (int b = 0; b < s.batch(); b++) {
                int[] prompt = new int[s.prompt()];
                for (int j = 0; j < prompt.length; j++) {
                    prompt[j] = rng.nextInt(s.vocab());
                }
                requests.add(new Sampler.Request(b, prompt, 1));
            }
            Sampler sampler = new Sampler(model, new IdTokenizer(s.vocab()), Set.of());
            SamplingParams params = SamplingParams.standard(s.newTokens());
            sampler.generate(requests, params, 0, 0); // warm-up
            double[] seconds = new double[repeats];
            for (int i = 0; i < repeats; i++) {
                long t0 = System.nanoTime();
                sampler.generate(requests, params, 0, i + 1);
                seconds[i] = (System.nanoTime() - t0) / 1e9;
            }
            double median = median(seconds);
            ObjectNode out = header(s, "sample_kv_cache", model);
            out.put("prompt", s.prompt());
            out.put("new_tokens", s.newTokens());
            out.put("tokens_per_s", round1(s.batch() * s.newTokens() / median));
            out.put("seconds", round3(median));
            out.set("runs_s", JSON.valueToTree(Arrays.stream(seconds).map(DecoderBench::round3).toArray()));
            return out;
        }
    }

    /**
     * A full GRPO step (the {@link Learner}: forward, per-token log-probs and entropy, clipped loss with
     * token-mean aggregation, backward, global-norm clip, AdamW) on B = 16 sequences: 4 groups of 4, a one-token
     * prompt and a completion of trainLen − 1 tokens, so the predicted tokens match the reference's B × (L − 1).
     */
    public static ObjectNode learner(BenchShape s, int repeats) {
        try (NDManager root = NDManager.newBaseManager();
             CausalLm model = CausalLm.random(s.modelConfig(), root, 0)) {
            int groupSize = 4;
            GrpoConfig config = GrpoConfig.defaults(groupSize, s.trainLen()).with(c -> {
                c.microBatchTokens = s.batch() * s.trainLen();
                c.schedule = LrSchedule.constant(1e-5);
            });
            Random rng = new Random(0);
            List<List<TrainingSample>> groups = new ArrayList<>();
            for (int g = 0; g < s.batch() / groupSize; g++) {
                List<TrainingSample> group = new ArrayList<>();
                for (int i = 0; i < groupSize; i++) {
                    int[] completion = rng.ints(s.trainLen() - 1, 0, s.vocab()).toArray();
                    float[] behaviour = new float[completion.length];
                    for (int j = 0; j < behaviour.length; j++) {
                        behaviour[j] = (float) (-Math.log(s.vocab()) + 0.1 * rng.nextGaussian());
                    }
                    group.add(new TrainingSample(g, i, new int[] {rng.nextInt(s.vocab())}, completion, behaviour,
                            rng.nextDouble(), Map.of(), false, 0));
                }
                groups.add(group);
            }
            try (Learner learner = new Learner(model, null, config, 0)) {
                learner.step(groups); // warm-up
                double[] seconds = new double[repeats];
                for (int i = 0; i < repeats; i++) {
                    long t0 = System.nanoTime();
                    learner.step(groups);
                    seconds[i] = (System.nanoTime() - t0) / 1e9;
                }
                double mean = Arrays.stream(seconds).average().orElseThrow();
                ObjectNode out = header(s, "grpo_train_step", model);
                out.put("seq_len", s.trainLen());
                out.put("tokens_per_s", round1(s.batch() * (s.trainLen() - 1) / mean));
                out.put("seconds", round3(mean));
                out.set("runs_s", JSON.valueToTree(Arrays.stream(seconds).map(DecoderBench::round3).toArray()));
                return out;
            }
        }
    }

    private static ObjectNode header(BenchShape s, String what, CausalLm model) {
        ObjectNode out = JSON.createObjectNode();
        out.put("shape", s.name());
        out.put("what", what);
        out.put("params", model.parameterCount());
        out.put("batch", s.batch());
        out.put("threads", JniUtils.getNumThreads());
        return out;
    }

    private static double median(double[] xs) {
        double[] s = xs.clone();
        Arrays.sort(s);
        return s.length % 2 == 1 ? s[s.length / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
    }

    private static double round1(double x) {
        return Math.round(x * 10) / 10.0;
    }

    private static double round3(double x) {
        return Math.round(x * 1000) / 1000.0;
    }
}
