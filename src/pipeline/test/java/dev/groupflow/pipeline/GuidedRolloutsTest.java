package dev.groupflow.pipeline;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.groupflow.grpo.GuidanceLength;
import dev.groupflow.grpo.GuidanceSchedule;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.TinyModels;
import dev.groupflow.model.tokenizer.CharTokenizer;
import dev.groupflow.sampling.SamplingParams;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * G²RPO-A's guided rollouts as the pipeline samples them: the first {@code guided} completions of a prompt with a
 * reference trace start with exactly its first ℓ tokens (ℓ of the version sampled with), forced (NaN behaviour
 * log-probs, counted in {@link Rollout#forced}); the others, and prompts without a trace, are plain.
 */
class GuidedRolloutsTest {
    private static final CharTokenizer TOKENIZER = new CharTokenizer("0123456789>");
    private static final int G = 4;

    private static PromptWork prompt(long key, String text, String trace) {
        return new PromptWork(key, key, "p" + key, text, TOKENIZER.encode(text), null, Map.of(),
                trace == null ? null : TOKENIZER.encode(trace), null);
    }

    @Test
    void guidedCompletionsStartWithTheTracesFirstTokens() {
        try (NDManager manager = NDManager.newBaseManager();
             CausalLm model = CausalLm.random(TinyModels.qwen3(TOKENIZER.vocabSize()), manager, 3)) {
            GuidanceSchedule schedule = new GuidanceSchedule(GuidanceLength.start(3, 6), 0, 3);
            schedule.afterStep(1, 0.5);
            schedule.afterStep(2, 0.5);
            schedule.afterStep(3, 0.25); // ℓ = floor(3 · 0.5 / 0.25) = 6 from version 3
            RolloutSampler sampler = new RolloutSampler(model, TOKENIZER,
                    new RolloutSampler.Settings(new SamplingParams(1.0, 0, 1, 0, 8, List.of()), G, 7, 2), schedule);
            List<PromptWork> prompts = List.of(prompt(0, "123>", "86543"), prompt(1, "45>", null));
            check(sampler.sample(prompts, 0), "865");
            check(sampler.sample(prompts, 3), "86543"); // ℓ = 6 is more than the trace: all of it
        }
    }

    private static void check(List<Rollout> rollouts, String prefix) {
        int[] expected = TOKENIZER.encode(prefix);
        assertEquals(2 * G, rollouts.size());
        for (Rollout r : rollouts) {
            boolean guided = r.prompt().key() == 0 && r.sampleIndex() < 2;
            assertEquals(guided ? expected.length : 0, r.forced(), "sample " + r.sampleIndex());
            if (guided) {
                assertArrayEquals(expected, Arrays.copyOf(r.tokens(), expected.length), "the trace's tokens");
                assertTrue(r.text().startsWith(prefix), r.text());
                for (int j = 0; j < r.logprobs().length; j++) {
                    assertEquals(j < expected.length, Float.isNaN(r.logprobs()[j]), "token " + j);
                }
            }
        }
    }
}
