package dev.groupflow.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class TokenLogprobsTest {
    private static final int VOCAB = 50;
    private static final int PAD = VOCAB - 1;
    private static NDManager manager;
    private static List<int[]> prompts;
    private static List<int[]> completions;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        Random rng = new Random(3);
        prompts = new ArrayList<>();
        completions = new ArrayList<>();
        int[][] lengths = {{3, 5}, {7, 1}, {1, 9}, {5, 5}, {2, 3}, {6, 8}};
        for (int[] l : lengths) {
            prompts.add(rng.ints(l[0], 0, PAD).toArray());      // the pad id never occurs as a real token
            completions.add(rng.ints(l[1], 0, PAD).toArray());
        }
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** log p(completion tokens) from one unpadded sequence through the plain full forward. */
    private static float[] reference(CausalLm model, int[] prompt, int[] completion, double temperature) {
        int t = prompt.length + completion.length;
        long[] ids = new long[t];
        for (int i = 0; i < t; i++) {
            ids[i] = i < prompt.length ? prompt[i] : completion[i - prompt.length];
        }
        try (NDScope ignored = new NDScope()) {
            NDArray logits = model.forward(manager.create(ids, new Shape(1, t)), manager.ones(new Shape(1, t)))
                    .div((float) temperature).logSoftmax(-1);
            float[] lp = logits.toFloatArray();
            float[] out = new float[completion.length];
            for (int j = 0; j < completion.length; j++) {
                int pos = prompt.length - 1 + j;
                out[j] = lp[pos * VOCAB + completion[j]];
            }
            return out;
        }
    }

    @Test
    void paddedBatchMatchesEachSequenceAloneForEveryArchitecture() {
        for (ModelConfig config : List.of(TinyModels.qwen3(VOCAB), TinyModels.qwen2(VOCAB),
                TinyModels.llamaWithBiases(VOCAB))) {
            try (CausalLm model = CausalLm.random(config, manager, 5)) {
                float[][] batched = TokenLogprobs.evaluate(model, prompts, completions, 0, 0.8, 10_000);
                for (int r = 0; r < prompts.size(); r++) {
                    assertArrayEquals(reference(model, prompts.get(r), completions.get(r), 0.8), batched[r], 2e-5f,
                            config.modelType() + " row " + r);
                }
            }
        }
    }

    @Test
    void microBatchesCoverEveryRowWithinTheBudget() {
        List<int[]> ranges = TokenLogprobs.microBatches(prompts, completions, 30);
        int next = 0;
        for (int[] r : ranges) {
            assertEquals(next, r[0]);
            int p = 0;
            int c = 0;
            for (int i = r[0]; i < r[1]; i++) {
                p = Math.max(p, prompts.get(i).length);
                c = Math.max(c, completions.get(i).length);
            }
            assertTrue(r[1] - r[0] == 1 || (r[1] - r[0]) * (p + c) <= 30, "range over budget");
            next = r[1];
        }
        assertEquals(prompts.size(), next);
        assertTrue(ranges.size() > 1);
    }

    @Test
    void microBatchedEvaluationEqualsWholeBatch() {
        try (CausalLm model = CausalLm.random(TinyModels.qwen3(VOCAB), manager, 9)) {
            float[][] whole = TokenLogprobs.evaluate(model, prompts, completions, 0, 1.0, 100_000);
            float[][] micro = TokenLogprobs.evaluate(model, prompts, completions, 0, 1.0, 16);
            for (int r = 0; r < whole.length; r++) {
                assertArrayEquals(whole[r], micro[r], 1e-5f);
            }
        }
    }

    @Test
    void logprobsAreDifferentiableAndPaddingGetsNoGradient() {
        try (CausalLm model = CausalLm.random(TinyModels.qwen3(VOCAB), manager, 2)) { // untied head
            model.setRequiresGradient(true);
            TokenLogprobs.Packed packed = TokenLogprobs.pack(prompts, completions, PAD);
            try (NDScope ignored = new NDScope(); GradientCollector gc = Engine.getInstance().newGradientCollector()) {
                NDList a = packed.toArrays(manager);
                NDList out = TokenLogprobs.compute(model, a.get(0), a.get(1), packed.promptWidth(), a.get(2), 1.0, true);
                gc.backward(out.get(0).mul(a.get(3)).sum());
                NDArray entropy = out.get(1);
                assertTrue(entropy.min().getFloat() > 0 && entropy.max().getFloat() <= Math.log(VOCAB) + 1e-4);
            }
            Parameter embedding = model.parameters().get("model.embed_tokens.weight");
            int hidden = model.config().hiddenSize();
            Set<Integer> used = new HashSet<>();
            prompts.forEach(p -> Arrays.stream(p).forEach(used::add));
            // a completion's last token predicts nothing scored, so only the others feed the loss as inputs
            completions.forEach(c -> Arrays.stream(c, 0, c.length - 1).forEach(used::add));
            try (NDScope ignored = new NDScope()) {
                float[] g = embedding.getArray().getGradient().toFloatArray();
                for (int id = 0; id < VOCAB; id++) {
                    double norm = 0;
                    for (int j = 0; j < hidden; j++) {
                        norm += g[id * hidden + j] * g[id * hidden + j];
                    }
                    if (used.contains(id)) {
                        assertTrue(norm > 0, "token " + id + " feeds a prediction and must get a gradient");
                    } else {
                        assertEquals(0.0, norm, "token " + id + " (pad or unused) must get exactly no gradient");
                    }
                }
            }
        }
    }
}
