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
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Multi-turn sampling continues each episode's KV cache: every turn must equal what the plain {@link Sampler}
 * produces from the whole context recomputed, whichever episodes share a call and however their caches differ.
 */
class TurnSamplerTest {
    private static final CharTokenizer TOKENIZER = new CharTokenizer("abcdefghijklmnopqrstuvwxyz0123456789 .,+=");
    private static NDManager manager;
    private static CausalLm model;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        // weights scaled up so the random policy has confident, varied continuations (as SamplerTest)
        model = CausalLm.random(TinyModels.qwen3(TOKENIZER.vocabSize()), manager, 11);
        model.parameters().values().forEach(p -> p.getArray().muli(20f));
        model.setRequiresGradient(false);
    }

    @AfterAll
    static void tearDown() {
        model.close();
        manager.close();
    }

    private static int[] concat(int[]... parts) {
        int[] out = new int[0];
        for (int[] p : parts) {
            int at = out.length;
            out = Arrays.copyOf(out, at + p.length);
            System.arraycopy(p, 0, out, at, p.length);
        }
        return out;
    }

    /** The plain sampler's greedy continuation of a whole context, recomputed from scratch. */
    private static Completion recomputed(int[] context, int maxNew) {
        return new Sampler(model, TOKENIZER, Set.of())
                .generate(List.of(new Sampler.Request(0, context, 1)), SamplingParams.greedy(maxNew), 0, 0)
                .get(0).get(0);
    }

    private static void assertSameTurn(Completion expected, Completion got, String what) {
        assertArrayEquals(expected.tokens(), got.tokens(), what);
        // padding and batch composition change the float summation order: equal to float precision of this
        // model's large logits (weights scaled by 20, as SamplerTest)
        assertArrayEquals(expected.logprobs(), got.logprobs(), 2e-4f, what);
    }

    private static void closeAll(List<TurnSampler.Turn> turns) {
        turns.forEach(t -> t.cache().close());
    }

    @Test
    void continuingFromTheCacheEqualsRecomputingTheWholeContext() {
        TurnSampler sampler = new TurnSampler(model, TOKENIZER, Set.of());
        List<String> prompts = List.of("a", "hello world", "the quick brown fox");
        List<String> answers = List.of("ok.", "no", "try 12 + 7 =");
        int[][] contexts = new int[prompts.size()][];
        List<TurnSampler.Request> first = new ArrayList<>();
        for (int i = 0; i < prompts.size(); i++) {
            contexts[i] = TOKENIZER.encode(prompts.get(i));
            first.add(new TurnSampler.Request(i, 0, contexts[i], 0, 6, null));
        }
        List<TurnSampler.Turn> turns = sampler.generate(first, SamplingParams.greedy(8), 0, 0);
        for (int round = 0; round < 3; round++) {
            List<TurnSampler.Request> next = new ArrayList<>();
            for (int i = 0; i < prompts.size(); i++) {
                TurnSampler.Turn turn = turns.get(i);
                assertSameTurn(recomputed(contexts[i], turn.completion().tokens().length), turn.completion(),
                        "episode " + i + " round " + round);
                assertFalse(turn.diverged());
                int[] env = TOKENIZER.encode(answers.get((i + round) % answers.size()));
                int[] before = contexts[i];
                contexts[i] = concat(before, turn.completion().tokens(), env);
                assertArrayEquals(Arrays.copyOf(contexts[i], turn.cache().length()), turn.cache().tokens(),
                        "the cache holds the context and the turn but its last token");
                assertEquals(before.length + turn.completion().tokens().length - 1, turn.cache().length());
                next.add(new TurnSampler.Request(i, 0, contexts[i], 0, 5 + i, turn.cache()));
            }
            turns = sampler.generate(next, SamplingParams.greedy(8), 0, 0);
            for (int i = 0; i < prompts.size(); i++) {
                TurnSampler.Turn turn = turns.get(i);
                assertEquals(contexts[i].length - next.get(i).cache().length(), turn.computedTokens(),
                        "only the last turn token and the environment's answer are computed");
                assertEquals(next.get(i).cache().length(), turn.reusedTokens());
                assertTrue(next.get(i).cache().closed(), "a request's cache is consumed");
            }
        }
        for (int i = 0; i < prompts.size(); i++) {
            assertSameTurn(recomputed(contexts[i], turns.get(i).completion().tokens().length),
                    turns.get(i).completion(), "episode " + i + " last turn");
        }
        closeAll(turns);
        TurnSampler.Stats stats = sampler.stats();
        assertEquals(12, stats.turns());
        assertEquals(0, stats.divergedTurns());
        assertTrue(stats.reusedTokens() > stats.computedTokens(), stats.toString());
    }

    @Test
    void episodesAtDifferentTurnsShareACall() {
        TurnSampler sampler = new TurnSampler(model, TOKENIZER, Set.of());
        int[] longPrompt = TOKENIZER.encode("the quick brown fox jumps");
        TurnSampler.Turn first = sampler.generate(List.of(new TurnSampler.Request(1, 0, longPrompt, 0, 7, null)),
                SamplingParams.greedy(7), 0, 0).get(0);
        int[] continued = concat(longPrompt, first.completion().tokens(), TOKENIZER.encode(" and"));
        int[] freshPrompt = TOKENIZER.encode("xyz");
        List<TurnSampler.Turn> mixed = sampler.generate(List.of(
                new TurnSampler.Request(2, 0, freshPrompt, 0, 9, null),
                new TurnSampler.Request(1, 0, continued, 7, 4, first.cache())), SamplingParams.greedy(9), 0, 0);
        assertSameTurn(recomputed(freshPrompt, 9), mixed.get(0).completion(), "a first turn");
        assertSameTurn(recomputed(continued, 4), mixed.get(1).completion(), "a third context part");
        assertEquals(FinishReason.LENGTH, mixed.get(1).completion().finishReason());
        assertEquals(4, mixed.get(1).completion().tokens().length, "each turn has its own token limit");
        closeAll(mixed);
    }

    @Test
    void aContextThatDivergesFromTheCacheIsRecomputedAfterTheSharedPrefix() {
        TurnSampler sampler = new TurnSampler(model, TOKENIZER, Set.of());
        int[] prompt = TOKENIZER.encode("hello world");
        TurnSampler.Turn first = sampler.generate(List.of(new TurnSampler.Request(3, 0, prompt, 0, 6, null)),
                SamplingParams.greedy(6), 0, 0).get(0);
        // the "template" rewrote the turn: its third token differs from what the policy produced
        int[] rewritten = first.completion().tokens().clone();
        rewritten[2] = rewritten[2] == TOKENIZER.tokenId("a") ? TOKENIZER.tokenId("b") : TOKENIZER.tokenId("a");
        int[] context = concat(prompt, rewritten, TOKENIZER.encode(" ok"));
        TurnSampler.Turn second = sampler.generate(List.of(new TurnSampler.Request(3, 0, context, 6, 6, first.cache())),
                SamplingParams.greedy(6), 0, 0).get(0);
        assertTrue(second.diverged());
        assertEquals(prompt.length + 2, second.reusedTokens(), "the shared prefix is still reused");
        assertEquals(context.length - prompt.length - 2, second.computedTokens());
        assertSameTurn(recomputed(context, 6), second.completion(), "after a divergence");
        assertEquals(1, sampler.stats().divergedTurns());
        second.cache().close();
    }

    @Test
    void aContextEqualToTheCacheRecomputesItsLastToken() {
        TurnSampler sampler = new TurnSampler(model, TOKENIZER, Set.of());
        int[] prompt = TOKENIZER.encode("abc");
        TurnSampler.Turn first = sampler.generate(List.of(new TurnSampler.Request(4, 0, prompt, 0, 5, null)),
                SamplingParams.greedy(5), 0, 0).get(0);
        int[] cached = first.cache().tokens();
        TurnSampler.Turn again = sampler.generate(List.of(new TurnSampler.Request(4, 0, cached, 0, 3, first.cache())),
                SamplingParams.greedy(5), 0, 0).get(0);
        assertEquals(cached.length - 1, again.reusedTokens());
        assertEquals(1, again.computedTokens());
        assertFalse(again.diverged());
        assertSameTurn(recomputed(cached, 3), again.completion(), "continuing the cached tokens");
        again.cache().close();
    }

    @Test
    void samplingIsTheEpisodesOwnWhateverItsBatchMatesAndTurnBoundaries() {
        TurnSampler sampler = new TurnSampler(model, TOKENIZER, Set.of());
        SamplingParams p = new SamplingParams(3.0, 0, 1.0, 0.0, 10, List.of()); // flat enough to vary
        int[] prompt = TOKENIZER.encode("hello world");
        TurnSampler.Turn alone = sampler.generate(List.of(new TurnSampler.Request(7, 2, prompt, 5, 10, null)),
                p, 42, 3).get(0);
        List<TurnSampler.Turn> crowd = sampler.generate(List.of(
                new TurnSampler.Request(1, 0, TOKENIZER.encode("abc"), 0, 10, null),
                new TurnSampler.Request(7, 2, prompt, 5, 10, null),
                new TurnSampler.Request(9, 1, TOKENIZER.encode("the quick brown fox"), 2, 10, null)), p, 42, 3);
        assertArrayEquals(alone.completion().tokens(), crowd.get(1).completion().tokens());
        TurnSampler.Turn shifted = sampler.generate(List.of(new TurnSampler.Request(7, 2, prompt, 6, 10, null)),
                p, 42, 3).get(0);
        assertFalse(Arrays.equals(alone.completion().tokens(), shifted.completion().tokens()),
                "the randomness continues from the episode's earlier policy tokens");
        // the draw of a token depends on its index in the episode only: one turn of 10 equals turns of 4 + 6
        Sampler plain = new Sampler(model, TOKENIZER, Set.of());
        closeAll(List.of(alone, shifted));
        closeAll(crowd);
        TurnSampler.Turn a = sampler.generate(List.of(new TurnSampler.Request(5, 0, prompt, 0, 4, null)),
                p, 1, 1).get(0);
        int[] context = concat(prompt, a.completion().tokens());
        TurnSampler.Turn b = sampler.generate(List.of(new TurnSampler.Request(5, 0, context, 4, 6, a.cache())),
                p, 1, 1).get(0);
        Completion whole = plain.generate(List.of(new Sampler.Request(5, prompt, 1)), p, 1, 1).get(0).get(0);
        assertArrayEquals(whole.tokens(), concat(a.completion().tokens(), b.completion().tokens()));
        b.cache().close();
    }

    @Test
    void stopTokensEndATurnAndLimitsAreChecked() {
        int[] prompt = TOKENIZER.encode("hello world");
        Completion free = recomputed(prompt, 8);
        int eos = free.tokens()[3];
        TurnSampler stopping = new TurnSampler(model, TOKENIZER, Set.of(eos));
        TurnSampler.Turn turn = stopping.generate(List.of(new TurnSampler.Request(0, 0, prompt, 0, 8, null)),
                SamplingParams.greedy(8), 0, 0).get(0);
        int at = 0;
        while (free.tokens()[at] != eos) {
            at++;
        }
        assertArrayEquals(Arrays.copyOf(free.tokens(), at + 1), turn.completion().tokens());
        assertEquals(FinishReason.STOP, turn.completion().finishReason());
        assertEquals(prompt.length + at, turn.cache().length(), "the stop token is computed with the next turn");
        turn.cache().close();
        TurnSampler.Request closedCache = new TurnSampler.Request(0, 0, prompt, 0, 4, turn.cache());
        assertThrows(IllegalArgumentException.class,
                () -> stopping.generate(List.of(closedCache), SamplingParams.greedy(8), 0, 0));
        int[] tooLong = new int[model.config().maxPositionEmbeddings() - 2];
        Arrays.fill(tooLong, TOKENIZER.tokenId("a"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> stopping.generate(
                List.of(new TurnSampler.Request(6, 1, tooLong, 0, 4, null)), SamplingParams.greedy(8), 0, 0));
        assertTrue(e.getMessage().contains("episode 6/1") && e.getMessage().contains("max_position_embeddings"),
                e.getMessage());
    }
}
