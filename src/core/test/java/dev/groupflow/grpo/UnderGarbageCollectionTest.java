package dev.groupflow.grpo;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.TinyModels;
import dev.groupflow.model.TrainingMemory;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.sampling.Completion;
import dev.groupflow.sampling.Sampler;
import dev.groupflow.sampling.SamplingParams;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;

/**
 * Training and sampling must not depend on when the garbage collector runs. DJL builds the constant of
 * {@code x.mul(c)} over a Java buffer that autograd does not own; a collection between the forward and the backward
 * pass used to turn gradients into 0, NaN or 1e12 ({@link dev.groupflow.model.Scalars}). Here a thread collects
 * without pause while the same two steps are repeated from the same weights, for the loss variants whose constants
 * reach autograd (token-mean, sequence-mean with sequence-level ratios and a temperature, sum-norm with a KL penalty
 * and the importance-weight cap), also with the LM head run in chunks and the decoder layers recomputed (their
 * backward passes are driven explicitly): every repetition must give bit-identical metrics and weights.
 */
class UnderGarbageCollectionTest {
    private static final CharTokenizer TOKENIZER = new CharTokenizer("0123456789>");
    private static final int G = 4;
    private static final int REPEATS = 5;

    private static List<List<TrainingSample>> batch(CausalLm model) {
        Sampler sampler = new Sampler(model, TOKENIZER);
        List<Sampler.Request> reqs = List.of(new Sampler.Request(0, TOKENIZER.encode("12>"), G),
                new Sampler.Request(1, TOKENIZER.encode("7>"), G), new Sampler.Request(2, TOKENIZER.encode("345>"), G));
        List<List<Completion>> out = sampler.generate(reqs, new SamplingParams(1.0, 0, 1, 0, 6, List.of()), 3, 0);
        Random rng = new Random(3);
        List<List<TrainingSample>> groups = new ArrayList<>();
        for (int g = 0; g < out.size(); g++) {
            List<TrainingSample> group = new ArrayList<>();
            for (Completion c : out.get(g)) {
                group.add(new TrainingSample(g, c.sampleIndex(), reqs.get(g).promptTokens(), c.tokens(),
                        c.logprobs(), (double) rng.nextInt(3), Map.of(), c.truncated(), 0));
            }
            groups.add(group);
        }
        return groups;
    }

    /** Two steps from the same initial weights: every metric of both steps, then every weight. */
    private static String run(NDManager manager, Case c, List<List<TrainingSample>> groups) {
        GrpoConfig config = c.config();
        try (CausalLm policy = CausalLm.random(TinyModels.qwen3(TOKENIZER.vocabSize()), manager, 1);
             CausalLm reference = config.loss().beta() > 0
                     ? CausalLm.random(TinyModels.qwen3(TOKENIZER.vocabSize()), manager, 1) : null;
             Learner learner = new Learner(policy, reference, config, TOKENIZER.padId())) {
            policy.setTrainingMemory(c.memory());
            StringBuilder out = new StringBuilder();
            for (int step = 0; step < 2; step++) {
                Map<String, Double> m = learner.step(groups).metrics();
                assertTrue(Double.isFinite(m.get("grad_norm")) && m.get("grad_norm") > 0, config + ": " + m);
                m.forEach((k, v) -> {
                    if (!k.equals("step_seconds")) {
                        out.append(k).append('=').append(v).append(' ');
                    }
                });
            }
            return out.append(Arrays.hashCode(TinyModels.flatWeights(policy))).toString();
        }
    }

    /** A loss configuration and how the log-probabilities are computed. */
    private record Case(GrpoConfig config, TrainingMemory memory) {
    }

    /** A thread that runs the garbage collector without pause until closed. */
    private static final class Collector implements AutoCloseable {
        private final AtomicBoolean running = new AtomicBoolean(true);
        private final Thread thread = new Thread(() -> {
            while (running.get()) {
                System.gc();
                try {
                    Thread.sleep(1);
                } catch (InterruptedException e) {
                    return;
                }
            }
        }, "test-collector");

        Collector() {
            thread.setDaemon(true);
            thread.start();
        }

        @Override
        public void close() throws InterruptedException {
            running.set(false);
            thread.join();
        }
    }

    @Test
    void gradientsDoNotDependOnWhenTheCollectorRuns() throws Exception {
        GrpoConfig base = GrpoConfig.defaults(G, 6).with(b -> b.schedule = LrSchedule.constant(1e-2));
        GrpoConfig sequence = base.with(b -> {
            b.aggregation = Aggregation.SEQ_MEAN_TOKEN_MEAN;
            b.ratioLevel = RatioLevel.SEQUENCE;
            b.temperature = 0.7;
        });
        GrpoConfig penalised = base.with(b -> {
            b.aggregation = Aggregation.SEQ_SUM_NORM;
            b.beta = 0.04;
            b.isCap = 2.0;
        });
        // the last two: LM head over 2 rows at a time with the decoder layers recomputed in the backward pass
        TrainingMemory pieces = new TrainingMemory(2L * TOKENIZER.vocabSize() * Float.BYTES, true);
        List<Case> configs = List.of(new Case(base, TrainingMemory.DEFAULT),
                new Case(sequence, TrainingMemory.DEFAULT), new Case(penalised, TrainingMemory.DEFAULT),
                new Case(sequence, pieces), new Case(penalised, pieces));
        try (NDManager manager = NDManager.newBaseManager()) {
            List<List<TrainingSample>> groups;
            try (CausalLm sampling = CausalLm.random(TinyModels.qwen3(TOKENIZER.vocabSize()), manager, 1)) {
                groups = batch(sampling);
            }
            List<String> quiet = new ArrayList<>();
            for (Case c : configs) {
                quiet.add(run(manager, c, groups));
            }
            try (Collector ignored = new Collector()) {
                for (int i = 0; i < configs.size(); i++) {
                    for (int r = 0; r < REPEATS; r++) {
                        assertEquals(quiet.get(i), run(manager, configs.get(i), groups),
                                "config " + i + ", repetition " + r + " with the collector running");
                    }
                }
            }
        }
    }

    /** Sampling (no autograd) under the same collector: the same tokens and log-probabilities every time. */
    @Test
    void samplingDoesNotDependOnWhenTheCollectorRuns() throws Exception {
        try (NDManager manager = NDManager.newBaseManager();
             CausalLm model = CausalLm.random(TinyModels.qwen3(TOKENIZER.vocabSize()), manager, 1)) {
            String quiet = describe(batch(model));
            try (Collector ignored = new Collector()) {
                for (int r = 0; r < REPEATS; r++) {
                    assertEquals(quiet, describe(batch(model)), "repetition " + r + " with the collector running");
                }
            }
        }
    }

    private static String describe(List<List<TrainingSample>> groups) {
        StringBuilder out = new StringBuilder();
        groups.forEach(g -> g.forEach(t -> out.append(Arrays.toString(t.completionTokens()))
                .append(Arrays.toString(t.behaviourLogprobs())).append('\n')));
        return out.toString();
    }
}
