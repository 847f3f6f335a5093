package dev.groupflow.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.TinyModels;
import dev.groupflow.model.tokenizer.CharTokenizer;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The sampler's forced-prefix mode (G²RPO-A's guided rollouts): a sample's first tokens are exactly the trace's,
 * teacher-forced with NaN log-probabilities, they end nothing even when they hold an end-of-sequence id or a stop
 * string, and what follows is exactly a plain run on prompt + prefix; the group's other samples are untouched.
 */
class ForcedPrefixTest {
    private static final CharTokenizer TOKENIZER = new CharTokenizer("abcdefghijklmnopqrstuvwxyz0123456789 .,+=");
    private static final String PROMPT = "hello world";
    private static final String TRACE = "the quick brown fox jumps";
    private static NDManager manager;
    private static CausalLm model;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        model = CausalLm.random(TinyModels.qwen3(TOKENIZER.vocabSize()), manager, 11);
        model.parameters().values().forEach(p -> p.getArray().muli(20f));
        model.setRequiresGradient(false);
    }

    @AfterAll
    static void tearDown() {
        model.close();
        manager.close();
    }

    private static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    @Test
    void forcedTokensAreTheTracesAndTheContinuationIsAPlainRunOnPromptPlusPrefix() {
        // 'q' ends a completion and " f" is a stop string: both occur inside the longer prefix, and end nothing there
        Sampler sampler = new Sampler(model, TOKENIZER, Set.of(TOKENIZER.encode("q")[0]));
        int max = 24;
        SamplingParams params = new SamplingParams(1.5, 0, 1.0, 0.0, max, List.of(" f"));
        int[] prompt = TOKENIZER.encode(PROMPT);
        int[] trace = TOKENIZER.encode(TRACE);
        int[][] prefixes = {Arrays.copyOf(trace, 3), Arrays.copyOf(trace, 17), null, new int[0]};
        Completion[] guided = sampler.generate(List.of(new Sampler.Request(7, prompt, 4, prefixes)), params, 42, 3)
                .get(0).toArray(Completion[]::new);
        List<Completion> unguided = sampler.generate(List.of(new Sampler.Request(7, prompt, 4)), params, 42, 3)
                .get(0);
        for (int i = 0; i < 4; i++) {
            Completion c = guided[i];
            int[] prefix = prefixes[i] == null ? new int[0] : prefixes[i];
            int f = prefix.length;
            assertEquals(f, c.forced(), "sample " + i);
            assertArrayEquals(prefix, Arrays.copyOf(c.tokens(), f), "the forced tokens are exactly the trace's");
            for (int t = 0; t < c.logprobs().length; t++) {
                assertEquals(t < f, Float.isNaN(c.logprobs()[t]), "sample " + i + " token " + t
                        + ": NaN exactly for the forced tokens");
            }
            assertTrue(c.tokens().length > f, "the policy continues after the prefix");
            // the continuation: a plain run on prompt + prefix, with the rest of the token budget
            Completion plain = f == 0 ? unguided.get(i)
                    : sampler.generate(List.of(new Sampler.Request(7, concat(prompt, prefix), 4)),
                            new SamplingParams(1.5, 0, 1.0, 0.0, max - f, List.of(" f")), 42, 3).get(0).get(i);
            assertArrayEquals(plain.tokens(), Arrays.copyOfRange(c.tokens(), f, c.tokens().length), "sample " + i);
            for (int t = 0; t < plain.logprobs().length; t++) {
                assertEquals(plain.logprobs()[t], c.logprobs()[f + t], 2e-4, "sample " + i + " token " + t);
            }
            assertEquals(plain.finishReason(), c.finishReason(), "sample " + i);
            assertEquals(plain.stopString(), c.stopString(), "sample " + i);
            assertEquals(TOKENIZER.decode(prefix, true) + plain.text(), c.text(), "sample " + i);
        }
        assertEquals(0, unguided.get(0).forced());
        assertFalse(Arrays.equals(guided[0].tokens(), unguided.get(0).tokens()), "guidance changes the sample");
    }

    @Test
    void aPrefixThatLeavesNoRoomIsRefused() {
        Sampler sampler = new Sampler(model, TOKENIZER, Set.of());
        int[] prefix = TOKENIZER.encode("abcdefgh");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sampler.generate(
                List.of(new Sampler.Request(3, TOKENIZER.encode("x"), 1, new int[][] {prefix})),
                SamplingParams.greedy(8), 0, 0));
        assertTrue(e.getMessage().contains("prompt 3 sample 0: a forced prefix of 8 tokens leaves no room in 8"),
                e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> new Sampler.Request(3, TOKENIZER.encode("x"), 2,
                new int[][] {prefix}));
    }
}
