package dev.groupflow.bench;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.pytorch.jni.JniUtils;
import ai.djl.training.GradientCollector;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.groupflow.grpo.AdamW;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.TokenLogprobs;
import dev.groupflow.model.tokenizer.IdTokenizer;
import dev.groupflow.sampling.SamplingParams;
import dev.groupflow.sampling.Sampler;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.Set;

/**
 * Throughput of the policy model at the reference shapes: KV-cache sampling (prefill, then one token at a time
 * for the whole batch, exactly {@code newTokens} per sequence) and a training step (forward, per-token
 * log-probabilities, backward, AdamW). Each prints one JSON line with {@code tokens_per_s}.
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

    public static ObjectNode learner(BenchShape s, int repeats) {
        try (NDManager root = NDManager.newBaseManager();
             CausalLm model = CausalLm.random(s.modelConfig(), root, 0);
             AdamW adamw = new AdamW(root, 0.9, 0.999, 1e-8, 0.01)) {
            model.setRequiresGradient(true);
            Random rng = new Random(0);
            List<int[]> prompts = new ArrayList<>();
            List<int[]> completions = new ArrayList<>();
            for (int b = 0; b < s.batch(); b++) {
                int[] seq = new int[s.trainLen()];
                for (int j = 0; j < seq.length; j++) {
                    seq[j] = rng.nextInt(s.vocab());
                }
                prompts.add(new int[] {seq[0]});                                  // the reference predicts
                completions.add(Arrays.copyOfRange(seq, 1, seq.length));          // tokens 1 .. L-1
            }
            float[] weights = new float[s.batch()];
            for (int b = 0; b < weights.length; b++) {
                weights[b] = (float) rng.nextGaussian();
            }
            TokenLogprobs.Packed packed = TokenLogprobs.pack(prompts, completions, 0);
            Runnable step = () -> trainStep(model, adamw, packed, weights);
            step.run(); // warm-up
            double[] seconds = new double[repeats];
            for (int i = 0; i < repeats; i++) {
                long t0 = System.nanoTime();
                step.run();
                seconds[i] = (System.nanoTime() - t0) / 1e9;
            }
            double mean = Arrays.stream(seconds).average().orElseThrow();
            ObjectNode out = header(s, "train_step", model);
            out.put("seq_len", s.trainLen());
            out.put("tokens_per_s", round1(s.batch() * (s.trainLen() - 1) / mean));
            out.put("seconds", round3(mean));
            out.set("runs_s", JSON.valueToTree(Arrays.stream(seconds).map(DecoderBench::round3).toArray()));
            return out;
        }
    }

    /** forward → log-probs of the next tokens → loss −mean(logp · w_b) → backward → AdamW. */
    private static void trainStep(CausalLm model, AdamW adamw, TokenLogprobs.Packed packed, float[] weights) {
        try (NDScope ignored = new NDScope();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDManager m = model.manager();
            NDList a = packed.toArrays(m);
            NDArray logp = TokenLogprobs.compute(model, a.get(0), a.get(1), packed.promptWidth(), a.get(2), 1.0,
                    false).singletonOrThrow();                                             // [B, L-1]
            NDArray w = m.create(weights, new Shape(weights.length, 1));                  // [B, 1]
            NDArray loss = logp.mul(w).mean().neg();
            collector.backward(loss);
        }
        adamw.step(model.parameters(), 1e-5);
        AdamW.zeroGradients(model.parameters());
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
