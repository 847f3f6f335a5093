package dev.groupflow.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.TinyModels;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.sampling.Completion;
import dev.groupflow.sampling.Sampler;
import dev.groupflow.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The learner with NGRPO's advantage (all-wrong groups carry signal) and with G²RPO-A's guided completions (forced
 * tokens are context only by default, trained on against recomputed log-probabilities on request).
 */
class LearnerVariantsTest {
    private static final CharTokenizer TOKENIZER = new CharTokenizer("0123456789");
    private static final int G = 4;
    private static final SamplingParams PARAMS = new SamplingParams(1.0, 0, 1, 0, 8, List.of());
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

    /** SGD-like AdamW (huge eps), so the weights move linearly in the gradient and can be compared closely. */
    private static GrpoConfig linear() {
        return GrpoConfig.defaults(G, PARAMS.maxNewTokens()).with(b -> {
            b.schedule = LrSchedule.constant(0.5);
            b.adamEps = 1.0;
            b.maxGradNorm = 0;
        });
    }

    /** Two groups sampled from {@code model}, sample 0 and 1 of each forced to start with {@code prefix}. */
    private static List<List<Completion>> sample(CausalLm model, int[] prefix) {
        int[][] forced = {prefix, prefix, null, null};
        List<Sampler.Request> requests = List.of(new Sampler.Request(0, TOKENIZER.encode("12"), G, forced),
                new Sampler.Request(1, TOKENIZER.encode("345"), G, forced));
        return new Sampler(model, TOKENIZER).generate(requests, PARAMS, 3, 0);
    }

    /** The groups as training samples, with the rewards {@code reward} gives each completion. */
    private static List<List<TrainingSample>> samples(List<List<Completion>> out, Function<Completion, Double> reward) {
        List<List<TrainingSample>> groups = new ArrayList<>();
        String[] prompts = {"12", "345"};
        for (int g = 0; g < out.size(); g++) {
            List<TrainingSample> group = new ArrayList<>();
            for (Completion c : out.get(g)) {
                group.add(new TrainingSample(g, c.sampleIndex(), TOKENIZER.encode(prompts[g]), c.tokens(),
                        c.logprobs(), reward.apply(c), Map.of(), c.truncated(), 0, c.forced()));
            }
            groups.add(group);
        }
        return groups;
    }

    private static double maxChange(float[] a, float[] b) {
        double d = 0;
        for (int i = 0; i < a.length; i++) {
            d = Math.max(d, Math.abs(a[i] - b[i]));
        }
        return d;
    }

    @Test
    void ngrpoTrainsOnAllWrongGroupsWhereGrpoHasNoSignal() {
        try (CausalLm grpoPolicy = policy(1); CausalLm ngrpoPolicy = grpoPolicy.copy(manager)) {
            float[] before = TinyModels.flatWeights(grpoPolicy);
            List<List<TrainingSample>> allWrong = samples(sample(grpoPolicy, null), c -> 0.0);
            Learner.StepResult grpo;
            Learner.StepResult ngrpo;
            try (Learner a = new Learner(grpoPolicy, null, linear(), TOKENIZER.padId());
                 Learner b = new Learner(ngrpoPolicy, null, linear().with(c -> c.ngrpo = Ngrpo.DEFAULT),
                         TOKENIZER.padId())) {
                grpo = a.step(allWrong);
                ngrpo = b.step(allWrong);
            }
            double expected = -1 / Math.sqrt(G + 1);
            for (double adv : ngrpo.advantages()) {
                assertEquals(expected, adv, 1e-5, "an all-wrong group under NGRPO with K = 1");
            }
            assertEquals(0.0, ngrpo.metrics().get("zero_std_fraction"), "all-wrong groups carry signal");
            assertTrue(maxChange(before, TinyModels.flatWeights(ngrpoPolicy)) > 1e-4, "NGRPO moves the weights");
            assertArrayEquals(new double[2 * G], grpo.advantages(), "GRPO: no spread, no advantage");
            assertEquals(1.0, grpo.metrics().get("zero_std_fraction"));
            assertArrayEquals(before, TinyModels.flatWeights(grpoPolicy), "GRPO leaves the weights as they were");
        }
    }

    /**
     * Masked forced tokens are context only: a guided completion trains exactly as if its forced tokens were part
     * of its prompt (so the loss has no gradient through their log-probabilities), and their behaviour values (NaN
     * from the sampler) are never read. Trained on, they change the update.
     */
    @Test
    void forcedTokensAreContextOnlyUnlessTrainedOn() {
        int[] prefix = TOKENIZER.encode("987");
        try (CausalLm sampler = policy(2)) {
            List<List<Completion>> out = sample(sampler, prefix);
            for (List<Completion> group : out) {
                for (Completion c : group) {
                    boolean guided = c.sampleIndex() < 2;
                    assertEquals(guided ? prefix.length : 0, c.forced());
                    if (guided) {
                        assertArrayEquals(prefix, Arrays.copyOf(c.tokens(), prefix.length), "the trace's tokens");
                        for (int j = 0; j < prefix.length; j++) {
                            assertTrue(Float.isNaN(c.logprobs()[j]), "a forced token has no behaviour log-prob");
                        }
                    }
                }
            }
            Function<Completion, Double> reward = c -> (double) (c.tokens().length % 3);
            List<List<TrainingSample>> guided = samples(out, reward);
            // the same completions with the forced tokens moved into the prompt: plain samples
            List<List<TrainingSample>> asPrompt = new ArrayList<>();
            for (List<TrainingSample> g : guided) {
                List<TrainingSample> moved = new ArrayList<>();
                for (TrainingSample s : g) {
                    int k = s.forced();
                    int[] prompt = Arrays.copyOf(s.promptTokens(), s.promptTokens().length + k);
                    System.arraycopy(s.completionTokens(), 0, prompt, s.promptTokens().length, k);
                    int n = s.completionTokens().length;
                    moved.add(new TrainingSample(s.promptKey(), s.sampleIndex(), prompt,
                            Arrays.copyOfRange(s.completionTokens(), k, n),
                            Arrays.copyOfRange(s.behaviourLogprobs(), k, n), s.reward(), Map.of(), s.truncated(), 0));
                }
                asPrompt.add(moved);
            }
            try (CausalLm masked = policy(3); CausalLm context = masked.copy(manager);
                 CausalLm trained = masked.copy(manager)) {
                float[] before = TinyModels.flatWeights(masked);
                Learner.StepResult m;
                Learner.StepResult c;
                try (Learner a = new Learner(masked, null, linear(), TOKENIZER.padId());
                     Learner b = new Learner(context, null, linear(), TOKENIZER.padId());
                     Learner t = new Learner(trained, null, linear().with(x -> x.trainForced = true),
                             TOKENIZER.padId())) {
                    m = a.step(guided);
                    c = b.step(asPrompt);
                    Learner.StepResult tr = t.step(guided);
                    assertTrue(Double.isFinite(tr.metrics().get("loss")), "recomputed, never NaN");
                    assertEquals(m.metrics().get("tokens") + 2 * 2 * prefix.length, tr.metrics().get("tokens"));
                }
                assertEquals(c.metrics().get("tokens"), m.metrics().get("tokens"), "forced tokens out of the count");
                assertEquals(c.metrics().get("loss"), m.metrics().get("loss"), 1e-6);
                assertEquals(c.metrics().get("clip_region"), m.metrics().get("clip_region"));
                assertEquals(c.metrics().get("entropy"), m.metrics().get("entropy"), 1e-5);
                float[] wm = TinyModels.flatWeights(masked);
                assertTrue(maxChange(before, wm) > 1e-4, "the step moves the weights");
                assertArrayEquals(TinyModels.flatWeights(context), wm, 1e-5f, "forced tokens are only context");
                assertTrue(maxChange(wm, TinyModels.flatWeights(trained)) > 1e-4,
                        "training on the forced tokens changes the update");
                assertEquals(0.5, m.metrics().get("guided_fraction"));
                assertFalse(c.metrics().containsKey("guided_fraction"));
            }
        }
    }
}
