package dev.groupflow.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.ndarray.types.Shape;
import ai.djl.nn.Parameter;
import ai.djl.training.GradientCollector;
import dev.groupflow.grpo.AdamW;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The learner's log-probabilities and gradients are the same whether the LM head runs over the whole [B, C, V] at
 * once or a few rows at a time, and whether the decoder layers keep their activations or are recomputed in the
 * backward pass: every architecture, with and without a temperature, every parameter's gradient; and so are the
 * gradients of a loss that also depends on the entropies (the entropy bonus, {@link LogprobGraph.Entropy#GRADIENT}).
 */
class LogprobGraphTest {
    private static final int VOCAB = 60;
    private static final int PAD = VOCAB - 1;
    private static NDManager manager;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
    }

    @AfterAll
    static void tearDown() {
        manager.close();
    }

    /** Log-probabilities, entropies and every parameter's gradient of Σ w · logprobs (+ Σ u · entropy). */
    private record Result(float[] logprobs, float[] entropy, Map<String, float[]> gradients) {
    }

    private static Result run(CausalLm model, TrainingMemory memory, double temperature, boolean bonus) {
        model.setTrainingMemory(memory);
        Random rng = new Random(11);
        List<int[]> prompts = new ArrayList<>();
        List<int[]> completions = new ArrayList<>();
        for (int[] l : new int[][] {{3, 6}, {7, 2}, {1, 9}, {5, 4}}) {
            prompts.add(rng.ints(l[0], 0, PAD).toArray());
            completions.add(rng.ints(l[1], 0, PAD).toArray());
        }
        TokenLogprobs.Packed packed = TokenLogprobs.pack(prompts, completions, PAD);
        float[] weights = new float[packed.rows() * packed.completionWidth()];
        float[] entropyWeights = new float[weights.length];
        for (int i = 0; i < weights.length; i++) {
            weights[i] = packed.completionMask()[i] * (float) rng.nextGaussian();
            entropyWeights[i] = packed.completionMask()[i] * (float) rng.nextGaussian();
        }
        model.setRequiresGradient(true);
        try (NDScope ignored = new NDScope();
             GradientCollector collector = Engine.getInstance().newGradientCollector()) {
            NDList a = packed.toArrays(manager);
            LogprobGraph graph = LogprobGraph.forward(model, a.get(0), a.get(1), packed.promptWidth(), a.get(2),
                    temperature, bonus ? LogprobGraph.Entropy.GRADIENT : LogprobGraph.Entropy.VALUE);
            Shape shape = new Shape(packed.rows(), packed.completionWidth());
            NDArray loss = graph.logprobs().mul(manager.create(weights, shape)).sum();
            if (bonus) {
                loss = loss.add(graph.entropy().mul(manager.create(entropyWeights, shape)).sum());
            }
            collector.backward(loss);
            graph.backward();
            Map<String, float[]> grads = new LinkedHashMap<>();
            for (Map.Entry<String, Parameter> e : model.parameters().entrySet()) {
                grads.put(e.getKey(), e.getValue().getArray().getGradient().toFloatArray());
            }
            Result r = new Result(graph.logprobs().toFloatArray(), graph.entropy().toFloatArray(), grads);
            AdamW.zeroGradients(model.parameters());
            return r;
        }
    }

    @Test
    void chunkedHeadAndRecomputedLayersGiveTheSameValuesAndGradients() {
        for (ModelConfig config : List.of(TinyModels.qwen3(VOCAB), TinyModels.qwen2(VOCAB),
                TinyModels.llamaWithBiases(VOCAB))) {
            for (double temperature : new double[] {1.0, 0.7}) {
                try (CausalLm model = CausalLm.random(config, manager, 3)) {
                    Result logprobsOnly = compareMemorySettings(model, temperature, false);
                    Result withEntropy = compareMemorySettings(model, temperature, true);
                    String what = config.modelType() + " T=" + temperature;
                    double apart = 0;
                    for (Map.Entry<String, float[]> e : logprobsOnly.gradients().entrySet()) {
                        float[] other = withEntropy.gradients().get(e.getKey());
                        for (int i = 0; i < other.length; i++) {
                            apart = Math.max(apart, Math.abs(other[i] - e.getValue()[i]));
                        }
                    }
                    assertTrue(apart > 1e-3, what + ": the entropy's gradient must reach the parameters");
                }
            }
        }
    }

    /** Every memory setting against the whole graph; returns the whole graph's result. */
    private static Result compareMemorySettings(CausalLm model, double temperature, boolean bonus) {
        Result whole = run(model, TrainingMemory.DEFAULT, temperature, bonus);
        long threeRows = 3L * VOCAB * Float.BYTES;
        for (TrainingMemory m : List.of(new TrainingMemory(threeRows, false),
                new TrainingMemory(TrainingMemory.DEFAULT.logitsChunkBytes(), true),
                new TrainingMemory(threeRows, true))) {
            String what = model.config().modelType() + " T=" + temperature + (bonus ? " +entropy " : " ") + m;
            Result r = run(model, m, temperature, bonus);
            assertArrayEquals(whole.logprobs(), r.logprobs(), 1e-5f, what + " logprobs");
            assertArrayEquals(whole.entropy(), r.entropy(), 1e-5f, what + " entropy");
            double largest = 0;
            for (Map.Entry<String, float[]> e : whole.gradients().entrySet()) {
                float[] expected = e.getValue();
                for (float v : expected) {
                    largest = Math.max(largest, Math.abs(v));
                }
                assertArrayEquals(expected, r.gradients().get(e.getKey()), 2e-5f, what + " " + e.getKey());
            }
            assertTrue(largest > 1e-3, what + ": the gradients must not be trivially zero");
        }
        return whole;
    }
}
