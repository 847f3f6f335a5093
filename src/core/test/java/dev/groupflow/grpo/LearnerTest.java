package dev.groupflow.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.TinyModels;
import dev.groupflow.model.TokenLogprobs;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.sampling.Completion;
import dev.groupflow.sampling.Sampler;
import dev.groupflow.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class LearnerTest {
    private static final CharTokenizer TOKENIZER = new CharTokenizer("0123456789");
    private static final int G = 4;
    private static final int STEPS = 100;
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    private static CausalLm policy(long seed) {
        return CausalLm.random(TinyModels.qwen3(TOKENIZER.vocabSize()), manager, seed);
    }

    /** Three groups sampled from a model, with made-up rewards (one missing) and a truncated member. */
    private static List<List<TrainingSample>> batch(CausalLm model, long seed) {
        Sampler sampler = new Sampler(model, TOKENIZER);
        List<Sampler.Request> reqs = List.of(new Sampler.Request(0, TOKENIZER.encode("12"), G),
                new Sampler.Request(1, TOKENIZER.encode("7"), G), new Sampler.Request(2, TOKENIZER.encode("345"), G));
        List<List<Completion>> out = sampler.generate(reqs, new SamplingParams(1.0, 0, 1, 0, 6, List.of()), seed, 0);
        Random rng = new Random(seed);
        List<List<TrainingSample>> groups = new ArrayList<>();
        for (int g = 0; g < out.size(); g++) {
            List<TrainingSample> group = new ArrayList<>();
            for (Completion c : out.get(g)) {
                Double reward = g == 1 && c.sampleIndex() == 2 ? null : (double) rng.nextInt(3);
                group.add(new TrainingSample(g, c.sampleIndex(), reqs.get(g).promptTokens(), c.tokens(), c.logprobs(),
                        reward, Map.of("part", 0.5), c.truncated(), 0));
            }
            groups.add(group);
        }
        return groups;
    }

    /**
     * The batch with its behaviour log-probs moved away from the policy's (by -0.3 to +0.3, a fixed pattern), so the
     * ratios differ from 1 and the loss is not a sum of advantages that cancels to float32 rounding noise (on-policy,
     * whole and micro-batched losses are both ~1e-8 and differ in the CPU kernels' last digits).
     */
    private static List<List<TrainingSample>> offPolicy(List<List<TrainingSample>> groups) {
        List<List<TrainingSample>> out = new ArrayList<>();
        for (List<TrainingSample> g : groups) {
            List<TrainingSample> moved = new ArrayList<>();
            for (TrainingSample s : g) {
                float[] old = s.behaviourLogprobs().clone();
                for (int j = 0; j < old.length; j++) {
                    old[j] += 0.1f * ((j + s.sampleIndex()) % 7 - 3);
                }
                moved.add(new TrainingSample(s.promptKey(), s.sampleIndex(), s.promptTokens(), s.completionTokens(),
                        old, s.reward(), s.rewardComponents(), s.truncated(), s.policyVersion()));
            }
            out.add(moved);
        }
        return out;
    }

    /** SGD-like AdamW (huge eps), so the weights move linearly in the gradient and can be compared closely. */
    private static GrpoConfig linearConfig(Aggregation aggregation) {
        return GrpoConfig.defaults(G, 6).with(b -> {
            b.aggregation = aggregation;
            b.schedule = LrSchedule.constant(0.5);
            b.adamEps = 1.0;
            b.maxGradNorm = 0;
        });
    }

    @Test
    void microBatchedAndWholeBatchUpdatesAgreeForEveryAggregation() {
        for (Aggregation aggregation : Aggregation.values()) {
            try (CausalLm a = policy(1); CausalLm b = a.copy(manager)) {
                List<List<TrainingSample>> groups = offPolicy(batch(a, 5));
                GrpoConfig whole = linearConfig(aggregation).with(c -> c.microBatchTokens = 1_000_000);
                GrpoConfig micro = linearConfig(aggregation).with(c -> c.microBatchTokens = 12);
                double lossWhole;
                double lossMicro;
                try (Learner la = new Learner(a, null, whole, TOKENIZER.padId());
                     Learner lb = new Learner(b, null, micro, TOKENIZER.padId())) {
                    lossWhole = la.step(groups).metrics().get("loss");
                    lossMicro = lb.step(groups).metrics().get("loss");
                }
                // off-policy, so the loss is far from 0 and a wrong normaliser would show in its value
                assertTrue(Math.abs(lossWhole) > 1e-3, aggregation + " loss " + lossWhole + " is too small to compare");
                assertEquals(lossWhole, lossMicro, 1e-6 * Math.abs(lossWhole), aggregation + " loss");
                float[] wa = TinyModels.flatWeights(a);
                float[] wb = TinyModels.flatWeights(b);
                float[] before = TinyModels.flatWeights(policy(1));
                double moved = 0;
                for (int i = 0; i < wa.length; i++) {
                    moved = Math.max(moved, Math.abs(wa[i] - before[i]));
                }
                assertTrue(moved > 1e-4, aggregation + ": the update must move the weights");
                assertArrayEquals(wa, wb, 1e-5f, aggregation + " weights");
            }
        }
    }

    @Test
    void laterPassesTakeTheRatioAgainstTheFirstPass() {
        try (CausalLm a = policy(2); CausalLm b = a.copy(manager)) {
            List<List<TrainingSample>> groups = batch(a, 9);
            // what the first pass computes: log-probs under the weights before any update
            List<int[]> prompts = new ArrayList<>();
            List<int[]> completions = new ArrayList<>();
            groups.forEach(g -> g.forEach(s -> {
                prompts.add(s.promptTokens());
                completions.add(s.completionTokens());
            }));
            float[][] first = TokenLogprobs.evaluate(b, prompts, completions, TOKENIZER.padId(), 1.0, 10_000);
            GrpoConfig twoPasses = linearConfig(Aggregation.TOKEN_MEAN).with(c -> c.numIterations = 2);
            try (Learner la = new Learner(a, null, twoPasses, TOKENIZER.padId());
                 Learner lb = new Learner(b, null, linearConfig(Aggregation.TOKEN_MEAN), TOKENIZER.padId())) {
                assertEquals(2, (long) (double) la.step(groups).metrics().get("updates"));
                lb.step(groups);
                List<List<TrainingSample>> againstFirst = new ArrayList<>();
                int k = 0;
                for (List<TrainingSample> g : groups) {
                    List<TrainingSample> ng = new ArrayList<>();
                    for (TrainingSample s : g) {
                        ng.add(new TrainingSample(s.promptKey(), s.sampleIndex(), s.promptTokens(),
                                s.completionTokens(), first[k++], s.reward(), s.rewardComponents(), s.truncated(),
                                s.policyVersion()));
                    }
                    againstFirst.add(ng);
                }
                lb.step(againstFirst);
            }
            assertArrayEquals(TinyModels.flatWeights(a), TinyModels.flatWeights(b), 1e-5f);
        }
    }

    @Test
    void nonFiniteUpdatesAreSkippedLeavingEverythingUntouchedThenHalt() {
        try (CausalLm model = policy(3)) {
            GrpoConfig config = GrpoConfig.defaults(G, 6).with(c -> {
                c.maxNonFinite = 2;
                c.schedule = LrSchedule.constant(1e-2);
            });
            try (Learner learner = new Learner(model, null, config, TOKENIZER.padId())) {
                learner.step(batch(model, 1)); // a finite step first, so the optimizer has state
                float[] weights = TinyModels.flatWeights(model);
                AdamW.State state = learner.exportState().optimizer();
                List<List<TrainingSample>> poisoned = poison(batch(model, 2));
                Learner.StepResult r = learner.step(poisoned);
                assertFalse(r.updated());
                assertEquals(1.0, r.metrics().get("skipped_updates"));
                assertArrayEquals(weights, TinyModels.flatWeights(model), 0f, "weights untouched");
                AdamW.State after = learner.exportState().optimizer();
                assertEquals(state.step(), after.step());
                state.expAvg().forEach((k, v) -> assertArrayEquals(v, after.expAvg().get(k), 0f, k));
                state.expAvgSq().forEach((k, v) -> assertArrayEquals(v, after.expAvgSq().get(k), 0f, k));
                TrainingHaltedException e = assertThrows(TrainingHaltedException.class, () -> learner.step(poisoned));
                assertTrue(e.getMessage().contains("2 consecutive updates had a non-finite"), e.getMessage());
            }
        }
    }

    /** With mask-truncated, truncated completions take no part in the update: what they hold changes nothing. */
    @Test
    void maskedTruncatedCompletionsDoNotReachTheUpdate() {
        try (CausalLm model = policy(9)) {
            List<List<TrainingSample>> groups = batch(model, 6);
            long truncated = groups.stream().flatMap(List::stream).filter(TrainingSample::truncated).count();
            assertTrue(truncated > 0 && truncated < 3 * G, "the batch mixes truncated and finished completions");
            // the same batch, the truncated members' tokens and log-probabilities replaced (rewards kept)
            List<List<TrainingSample>> altered = new ArrayList<>();
            for (List<TrainingSample> g : groups) {
                List<TrainingSample> ng = new ArrayList<>();
                for (TrainingSample s : g) {
                    if (!s.truncated()) {
                        ng.add(s);
                        continue;
                    }
                    int[] tokens = s.completionTokens().clone();
                    float[] lp = s.behaviourLogprobs().clone();
                    for (int i = 0; i < tokens.length; i++) {
                        tokens[i] = (tokens[i] + 1) % 10;
                        lp[i] -= 0.5f;
                    }
                    ng.add(new TrainingSample(s.promptKey(), s.sampleIndex(), s.promptTokens(), tokens, lp, s.reward(),
                            s.rewardComponents(), true, s.policyVersion()));
                }
                altered.add(ng);
            }
            long finishedTokens = groups.stream().flatMap(List::stream).filter(s -> !s.truncated())
                    .mapToLong(s -> s.completionTokens().length).sum();
            for (boolean mask : new boolean[] {true, false}) {
                GrpoConfig config = GrpoConfig.defaults(G, 6).with(c -> {
                    c.maskTruncated = mask;
                    c.schedule = LrSchedule.constant(1e-2);
                });
                float[][] weights = new float[2][];
                Map<String, Double> metrics = null;
                int i = 0;
                for (List<List<TrainingSample>> b : List.of(groups, altered)) {
                    try (CausalLm p = policy(9); Learner learner = new Learner(p, null, config, TOKENIZER.padId())) {
                        metrics = learner.step(b).metrics();
                        weights[i++] = TinyModels.flatWeights(p);
                    }
                }
                if (mask) {
                    assertArrayEquals(weights[0], weights[1], 0f, "truncated rows changed the masked update");
                    assertEquals(finishedTokens, metrics.get("tokens").longValue(), "only finished rows' tokens");
                } else {
                    assertFalse(Arrays.equals(weights[0], weights[1]), "unmasked, truncated rows are trained on");
                }
            }
        }
    }

    /** A finite loss whose gradient overflows float32 is skipped like a non-finite loss. */
    @Test
    void aNonFiniteGradientWithAFiniteLossIsSkipped() {
        try (CausalLm model = policy(3)) {
            GrpoConfig config = GrpoConfig.defaults(G, 6).with(c -> {
                c.scale = AdvantageScale.NONE; // advantages = reward − mean, unbounded
                c.maxGradNorm = 0;
            });
            try (Learner learner = new Learner(model, null, config, TOKENIZER.padId())) {
                List<List<TrainingSample>> huge = new ArrayList<>();
                for (List<TrainingSample> g : batch(model, 1)) {
                    List<TrainingSample> ng = new ArrayList<>();
                    for (TrainingSample s : g) {
                        ng.add(new TrainingSample(s.promptKey(), s.sampleIndex(), s.promptTokens(), s.completionTokens(),
                                s.behaviourLogprobs(), s.sampleIndex() % 2 == 0 ? 1e37 : -1e37, Map.of(),
                                s.truncated(), s.policyVersion()));
                    }
                    huge.add(ng);
                }
                float[] weights = TinyModels.flatWeights(model);
                Learner.StepResult r = learner.step(huge);
                assertTrue(Double.isFinite(r.metrics().get("loss")), "the loss itself is finite: " + r.metrics());
                assertFalse(Double.isFinite(r.metrics().get("grad_norm")), "the gradient is not: " + r.metrics());
                assertFalse(r.updated());
                assertEquals(1.0, r.metrics().get("skipped_updates"));
                assertArrayEquals(weights, TinyModels.flatWeights(model), 0f, "weights untouched");
            }
        }
    }

    private static List<List<TrainingSample>> poison(List<List<TrainingSample>> groups) {
        List<List<TrainingSample>> out = new ArrayList<>();
        for (List<TrainingSample> g : groups) {
            List<TrainingSample> ng = new ArrayList<>();
            for (TrainingSample s : g) {
                float[] lp = s.behaviourLogprobs().clone();
                lp[0] = Float.NaN;
                ng.add(new TrainingSample(s.promptKey(), s.sampleIndex(), s.promptTokens(), s.completionTokens(), lp,
                        s.reward(), s.rewardComponents(), s.truncated(), s.policyVersion()));
            }
            out.add(ng);
        }
        return out;
    }

    @Test
    void metricsDescribeTheBatch() {
        try (CausalLm model = policy(4); CausalLm ref = model.copy(manager)) {
            GrpoConfig config = GrpoConfig.defaults(G, 6).with(c -> c.beta = 0.04);
            try (Learner learner = new Learner(model, ref, config, TOKENIZER.padId())) {
                List<List<TrainingSample>> groups = batch(model, 3);
                Map<String, Double> m = learner.step(groups).metrics();
                assertEquals(1.0, m.get("reward_missing"));
                assertEquals(0.5, m.get("reward/part/mean"));
                assertEquals(3.0, m.get("groups"));
                assertEquals(0.0, m.get("kl"), 1e-6, "policy equals reference before the update");
                assertTrue(m.get("entropy") > 0);
                assertTrue(m.get("completion_length_max") >= m.get("completion_length_min"));
                for (String key : List.of("loss", "reward_mean", "reward_std", "advantage_mean", "advantage_std",
                        "clip_low", "clip_high", "clip_region", "grad_norm", "lr", "truncated_fraction",
                        "zero_std_fraction", "tokens", "step_seconds")) {
                    assertTrue(m.containsKey(key) && Double.isFinite(m.get(key)), key + " in " + m);
                }
                Map<String, Double> second = learner.step(groups).metrics();
                assertTrue(second.get("kl") > 0, "after an update the policy has moved away from the reference");
            }
        }
    }

    @Test
    void referenceSyncMovesTheReferenceTowardsThePolicy() {
        try (CausalLm model = policy(6); CausalLm ref = model.copy(manager)) {
            GrpoConfig config = GrpoConfig.defaults(G, 6).with(c -> {
                c.beta = 0.04;
                c.refSyncEvery = 2;
                c.refSyncAlpha = 1.0; // a full copy at each sync
                c.schedule = LrSchedule.constant(1e-2);
            });
            try (Learner learner = new Learner(model, ref, config, TOKENIZER.padId())) {
                List<List<TrainingSample>> groups = batch(model, 3);
                learner.step(groups);
                assertTrue(learner.step(groups).metrics().get("kl") > 0, "one update away from the reference");
                // the second update triggered the sync: reference == policy, so the next step starts at KL 0
                assertArrayEquals(TinyModels.flatWeights(model), TinyModels.flatWeights(ref), 0f);
                assertEquals(0.0, learner.step(groups).metrics().get("kl"), 1e-7);
            }
        }
    }

    @Test
    void emptyCompletionsTakePartWithoutTokens() {
        try (CausalLm model = policy(8)) {
            List<List<TrainingSample>> groups = batch(model, 4);
            TrainingSample first = groups.get(0).get(0);
            List<TrainingSample> g0 = new ArrayList<>(groups.get(0));
            g0.set(0, new TrainingSample(first.promptKey(), 0, first.promptTokens(), new int[0], new float[0], 1.0,
                    Map.of(), false, 0));
            groups.set(0, g0);
            long tokens = groups.stream().flatMap(List::stream).mapToLong(s -> s.completionTokens().length).sum();
            try (Learner learner = new Learner(model, null, GrpoConfig.defaults(G, 6), TOKENIZER.padId())) {
                Map<String, Double> m = learner.step(groups).metrics();
                assertEquals(tokens, m.get("tokens").longValue(), "the empty completion adds no tokens");
                assertEquals(0.0, m.get("completion_length_min"));
                assertTrue(Double.isFinite(m.get("loss")));
            }
        }
    }

    @Test
    void betaZeroMeansNoReferenceModel() {
        try (CausalLm model = policy(5); CausalLm ref = model.copy(manager)) {
            assertThrows(IllegalArgumentException.class,
                    () -> new Learner(model, ref, GrpoConfig.defaults(G, 6), TOKENIZER.padId()));
            assertThrows(IllegalArgumentException.class, () -> new Learner(model, null,
                    GrpoConfig.defaults(G, 6).with(c -> c.beta = 0.1), TOKENIZER.padId()));
        }
    }

    /**
     * Toy verifiable task: the prompt is a digit d, the answer is the digit (d + 3) mod 10. Reward 1 when the
     * completion starts with it. A random policy is at chance (about 1/13 with the special tokens).
     */
    static double[] learnDigitShift(long seed, int steps) {
        try (CausalLm model = CausalLm.random(TinyModels.qwen3(TOKENIZER.vocabSize()), manager, seed)) {
            GrpoConfig config = GrpoConfig.defaults(8, 2).with(c -> c.schedule = LrSchedule.constant(3e-3));
            Sampler sampler = new Sampler(model, TOKENIZER);
            SamplingParams params = new SamplingParams(1.0, 0, 1, 0, 2, List.of());
            double[] curve = new double[steps];
            try (Learner learner = new Learner(model, null, config, TOKENIZER.padId())) {
                for (int step = 0; step < steps; step++) {
                    List<Sampler.Request> reqs = new ArrayList<>();
                    for (int d = 0; d < 10; d++) {
                        reqs.add(new Sampler.Request(d, TOKENIZER.encode(Integer.toString(d)), 8));
                    }
                    List<List<Completion>> out = sampler.generate(reqs, params, seed, step);
                    List<List<TrainingSample>> groups = new ArrayList<>();
                    double total = 0;
                    for (int d = 0; d < 10; d++) {
                        char target = (char) ('0' + (d + 3) % 10);
                        List<TrainingSample> g = new ArrayList<>();
                        for (Completion c : out.get(d)) {
                            double r = !c.text().isEmpty() && c.text().charAt(0) == target ? 1.0 : 0.0;
                            total += r;
                            g.add(new TrainingSample(d, c.sampleIndex(), reqs.get(d).promptTokens(), c.tokens(),
                                    c.logprobs(), r, Map.of(), c.truncated(), step));
                        }
                        groups.add(g);
                    }
                    curve[step] = total / 80;

                    learner.step(groups);
                }
            }
            return curve;
        }
    }

    @Test
    void aTinyPolicyLearnsAVerifiableTaskDeterministically() {
        double[] curve = learnDigitShift(7, STEPS);
        double start = (curve[0] + curve[1]) / 2;
        double end = (curve[STEPS - 3] + curve[STEPS - 2] + curve[STEPS - 1]) / 3;
        assertTrue(start < 0.3, "starts near chance: " + Arrays.toString(curve));
        assertTrue(end > 0.9, "ends above 0.9: " + Arrays.toString(curve));
        assertArrayEquals(curve, learnDigitShift(7, STEPS), 0.0, "same seed, same curve");
    }
}
