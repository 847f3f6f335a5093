package dev.groupflow.grpo;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.training.GradientCollector;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.TinyModels;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.sampling.Completion;
import dev.groupflow.sampling.Sampler;
import dev.groupflow.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The entropy bonus ({@code grpo.entropy-coef}): the loss gains − coef · H per token in the loss, aggregated like
 * the policy term, and the learner's update follows it through the model, so a group without any reward spread (no
 * policy gradient at all) still moves the policy towards a flatter next-token distribution.
 */
class EntropyBonusTest {
    private static final CharTokenizer TOKENIZER = new CharTokenizer("0123456789");
    private static final int G = 4;
    private static final SamplingParams PARAMS = new SamplingParams(1.0, 0, 1, 0, 6, List.of());

    /** {loss, d loss / d H as [b, C]} of one micro-batch with ratio 1 everywhere. */
    private static double[][] lossAndEntropyGradient(double coef, Aggregation aggregation) {
        try (NDManager m = NDManager.newBaseManager();
             GradientCollector gc = Engine.getInstance().newGradientCollector()) {
            Shape shape = new Shape(2, 3);
            NDArray cur = m.create(new double[] {-1, -2, -0.5, -1.5, -3, -1e9}, shape);
            cur.setRequiresGradient(true);
            NDArray old = m.create(new double[] {-1, -2, -0.5, -1.5, -3, 0}, shape);
            NDArray entropy = m.create(new double[] {0.5, 1.0, 1.5, 2.0, 0.25, 7.0}, shape);
            entropy.setRequiresGradient(true);
            NDArray mask = m.create(new double[] {1, 1, 1, 1, 1, 0}, shape); // the last position is padding
            NDArray advantages = m.create(new double[] {0.5, -1.0});
            GrpoLoss.Settings s = new GrpoLoss.Settings(aggregation, RatioLevel.TOKEN, 0.2, 0.28, 0.0, 0.0, 3, coef);
            GrpoLoss.Output out = GrpoLoss.compute(cur, old, null, entropy, mask, advantages, s,
                    new GrpoLoss.Normaliser(2, 5));
            gc.backward(out.loss());
            return new double[][] {{out.loss().getDouble()},
                    entropy.getGradient().toType(DataType.FLOAT64, false).toDoubleArray()};
        }
    }

    @Test
    void theBonusIsMinusCoefTimesTheAggregatedEntropyOfTheTokensInTheLoss() {
        double coef = 0.03;
        // ratio 1: the policy term is −A per token; token_mean over the 5 tokens in the loss
        double policy = -(3 * 0.5 + 2 * -1.0) / 5;
        double entropy = (0.5 + 1.0 + 1.5 + 2.0 + 0.25) / 5; // the padded position's 7.0 is not counted
        double[][] tokenMean = lossAndEntropyGradient(coef, Aggregation.TOKEN_MEAN);
        assertEquals(policy - coef * entropy, tokenMean[0][0], 1e-12);
        assertArrayEquals(new double[] {-coef / 5, -coef / 5, -coef / 5, -coef / 5, -coef / 5, 0}, tokenMean[1],
                1e-12, "d loss / d H: - coef / tokens in the loss, 0 under padding");
        // DeepSeekMath's sequence mean of token means: each row's tokens by their own count, then / rows
        double[][] seqMean = lossAndEntropyGradient(coef, Aggregation.SEQ_MEAN_TOKEN_MEAN);
        double seqPolicy = (-0.5 + 1.0) / 2;
        double seqEntropy = ((0.5 + 1.0 + 1.5) / 3 + (2.0 + 0.25) / 2) / 2;
        assertEquals(seqPolicy - coef * seqEntropy, seqMean[0][0], 1e-12);
        assertArrayEquals(new double[] {-coef / 6, -coef / 6, -coef / 6, -coef / 4, -coef / 4, 0}, seqMean[1], 1e-12);
        double[][] none = lossAndEntropyGradient(0.0, Aggregation.TOKEN_MEAN);
        assertEquals(policy, none[0][0], 1e-12, "coef 0: the loss is the policy term alone");
    }

    @Test
    void aBonusWithoutEntropiesIsRefused() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray x = m.zeros(new Shape(1, 1), DataType.FLOAT64);
            GrpoLoss.Settings s = new GrpoLoss.Settings(Aggregation.TOKEN_MEAN, RatioLevel.TOKEN, 0.2, 0.28, 0.0, 0.0,
                    1, 0.01);
            assertThrows(IllegalArgumentException.class, () -> GrpoLoss.compute(x, x, null, x.add(1), m.zeros(
                    new Shape(1), DataType.FLOAT64), s, new GrpoLoss.Normaliser(1, 1)));
        }
    }

    @Test
    void aNegativeCoefficientIsAConfigProblem() {
        GrpoConfig c = GrpoConfig.defaults(G, 4).with(b -> b.entropyCoef = -0.01);
        assertTrue(c.problems().stream().anyMatch(p -> p.startsWith("grpo.entropy-coef: must be >= 0")),
                c.problems()::toString);
        assertTrue(GrpoConfig.defaults(G, 4).with(b -> b.entropyCoef = 0.01).problems().isEmpty());
    }

    /** Two groups of G, every completion rewarded alike: no reward spread, no policy gradient. */
    private static List<List<TrainingSample>> flatGroups(CausalLm model) {
        String[] prompts = {"12", "345"};
        List<Sampler.Request> requests = List.of(new Sampler.Request(0, TOKENIZER.encode(prompts[0]), G, null),
                new Sampler.Request(1, TOKENIZER.encode(prompts[1]), G, null));
        List<List<Completion>> out = new Sampler(model, TOKENIZER).generate(requests, PARAMS, 5, 0);
        List<List<TrainingSample>> groups = new ArrayList<>();
        for (int g = 0; g < out.size(); g++) {
            List<TrainingSample> group = new ArrayList<>();
            for (Completion c : out.get(g)) {
                group.add(new TrainingSample(g, c.sampleIndex(), TOKENIZER.encode(prompts[g]), c.tokens(),
                        c.logprobs(), 1.0, Map.of(), c.truncated(), 0, c.forced()));
            }
            groups.add(group);
        }
        return groups;
    }

    /** A random policy made confident: the final norm's weight scaled up sharpens every next-token distribution. */
    private static CausalLm peaked(NDManager manager) {
        CausalLm model = CausalLm.random(TinyModels.qwen3(TOKENIZER.vocabSize()), manager, 4);
        model.parameters().get("model.norm.weight").getArray().muli(20);
        return model;
    }

    /**
     * Zero advantages everywhere: without the bonus the weights stay as they were; with it, every update raises the
     * policy's entropy on the batch (the learner reports the entropy before each update, so step k+1 sees the
     * effect of update k).
     */
    @Test
    void withoutAnyRewardSpreadTheBonusAloneRaisesThePolicysEntropy() {
        try (NDManager manager = NDManager.newBaseManager();
             CausalLm policy = peaked(manager);
             CausalLm plain = policy.copy(manager)) {
            List<List<TrainingSample>> groups = flatGroups(policy);
            // SGD-like AdamW (huge eps) with small steps along the gradient (its norm is about 15), so each climbs
            GrpoConfig base = GrpoConfig.defaults(G, PARAMS.maxNewTokens()).with(b -> {
                b.schedule = LrSchedule.constant(1e-4);
                b.adamEps = 1.0;
                b.maxGradNorm = 0;
            });
            float[] before = TinyModels.flatWeights(plain);
            try (Learner learner = new Learner(plain, null, base, TOKENIZER.padId())) {
                learner.step(groups);
            }
            assertArrayEquals(before, TinyModels.flatWeights(plain), "coef 0 and no spread: nothing to learn");
            List<Double> entropies = new ArrayList<>();
            try (Learner learner = new Learner(policy, null, base.with(b -> b.entropyCoef = 0.5),
                    TOKENIZER.padId())) {
                for (int step = 0; step < 4; step++) {
                    Learner.StepResult r = learner.step(groups);
                    assertEquals(0.0, r.metrics().get("zero_std_fraction") - 1.0, 1e-12, "no reward spread");
                    entropies.add(r.metrics().get("entropy"));
                    assertEquals(-0.5 * r.metrics().get("entropy"), r.metrics().get("loss"), 1e-9,
                            "A = 0: the loss is the bonus alone, - coef x the token-mean entropy");
                }
            }
            assertTrue(entropies.get(0) < 0.8 * Math.log(TOKENIZER.vocabSize()), "starts well below the uniform's: "
                    + entropies);
            for (int i = 1; i < entropies.size(); i++) {
                assertTrue(entropies.get(i) > entropies.get(i - 1) + 1e-4, "entropy rises every update: " + entropies);
            }
            assertTrue(entropies.get(3) < Math.log(TOKENIZER.vocabSize()), "bounded by the uniform's");
        }
    }
}
