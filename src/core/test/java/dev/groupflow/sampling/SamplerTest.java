package dev.groupflow.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.BaseNDManager;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.NDScope;
import ai.djl.pytorch.jni.JniUtils;
import dev.groupflow.model.CausalLm;
import dev.groupflow.model.TinyModels;
import dev.groupflow.model.TokenLogprobs;
import dev.groupflow.model.tokenizer.CharTokenizer;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CancellationException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class SamplerTest {
    private static final CharTokenizer TOKENIZER = new CharTokenizer("abcdefghijklmnopqrstuvwxyz0123456789 .,+=");
    private static NDManager manager;
    private static CausalLm model;

    @BeforeAll
    static void setUp() {
        manager = NDManager.newBaseManager();
        // weights scaled up so the random policy has confident, varied continuations
        model = CausalLm.random(TinyModels.qwen3(TOKENIZER.vocabSize()), manager, 11);
        model.parameters().values().forEach(p -> p.getArray().muli(20f));
        model.setRequiresGradient(false);
    }

    @AfterAll
    static void tearDown() {
        model.close();
        manager.close();
    }

    private static Sampler.Request request(long key, String prompt, int samples) {
        return new Sampler.Request(key, TOKENIZER.encode(prompt), samples);
    }

    private static final List<String> PROMPTS = List.of("a", "hello world", "the quick brown fox", "12 + 7 =", "xyz");

    @Test
    void batchedGreedyWithLeftPaddingEqualsOneAtATime() {
        Sampler sampler = new Sampler(model, TOKENIZER, Set.of());
        List<Sampler.Request> all = new ArrayList<>();
        for (int i = 0; i < PROMPTS.size(); i++) {
            all.add(request(i, PROMPTS.get(i), 2));
        }
        List<List<Completion>> batched = sampler.generate(all, SamplingParams.greedy(16), 0, 0);
        for (int i = 0; i < PROMPTS.size(); i++) {
            Completion solo = sampler.generate(List.of(request(i, PROMPTS.get(i), 1)), SamplingParams.greedy(16), 0, 0)
                    .get(0).get(0);
            for (Completion c : batched.get(i)) {
                assertArrayEquals(solo.tokens(), c.tokens(), "prompt " + i);
                for (int t = 0; t < c.logprobs().length; t++) {
                    // padding and batch size change the float summation order: equal to float precision of this
                    // model's large logits (weights scaled by 20: logits in the hundreds)
                    assertEquals(solo.logprobs()[t], c.logprobs()[t], 2e-4, "prompt " + i + " token " + t);
                }
            }
        }
    }

    @Test
    void earlyFinishersAreCompactedWithoutChangingOthers() {
        // take as end-of-sequence a token that shows up early in some greedy continuations but not all
        Sampler plain = new Sampler(model, TOKENIZER, Set.of());
        List<Sampler.Request> all = new ArrayList<>();
        for (int i = 0; i < PROMPTS.size(); i++) {
            all.add(request(i, PROMPTS.get(i), 1));
        }
        List<List<Completion>> free = plain.generate(all, SamplingParams.greedy(16), 0, 0);
        int eos = free.get(0).get(0).tokens()[2];
        Sampler stopping = new Sampler(model, TOKENIZER, Set.of(eos));
        List<List<Completion>> stopped = stopping.generate(all, SamplingParams.greedy(16), 0, 0);
        int finishedEarly = 0;
        for (int i = 0; i < PROMPTS.size(); i++) {
            int[] full = free.get(i).get(0).tokens();
            Completion c = stopped.get(i).get(0);
            int at = indexOf(full, eos);
            if (at >= 0) {
                finishedEarly++;
                assertArrayEquals(Arrays.copyOf(full, at + 1), c.tokens(), "stops right after eos, keeping it");
                assertEquals(FinishReason.STOP, c.finishReason());
            } else {
                assertArrayEquals(full, c.tokens());
                assertEquals(FinishReason.LENGTH, c.finishReason());
                assertTrue(c.truncated());
            }
        }
        assertTrue(finishedEarly >= 1);
    }

    /** A cancelled generation stops between two tokens, and the sampler works as before afterwards. */
    @Test
    void cancellationStopsBetweenTokensAndLeavesTheSamplerUsable() {
        Sampler sampler = new Sampler(model, TOKENIZER, Set.of());
        List<Sampler.Request> reqs = List.of(request(0, "hello world", 2), request(1, "xyz", 2));
        List<List<Completion>> before = sampler.generate(reqs, SamplingParams.greedy(20), 0, 0);
        java.util.concurrent.atomic.AtomicInteger asked = new java.util.concurrent.atomic.AtomicInteger();
        var e = assertThrows(CancellationException.class, () -> sampler.generate(reqs,
                SamplingParams.greedy(20), 0, 0, () -> asked.incrementAndGet() > 5));
        assertTrue(e.getMessage().contains("after 5 tokens"), e.getMessage());
        assertEquals(6, asked.get(), "asked once before each token until it said stop");
        List<List<Completion>> after = sampler.generate(reqs, SamplingParams.greedy(20), 0, 0);
        for (int r = 0; r < reqs.size(); r++) {
            for (int i = 0; i < 2; i++) {
                assertArrayEquals(before.get(r).get(i).tokens(), after.get(r).get(i).tokens());
            }
        }
    }

    @Test
    void stopStringEndsTheCompletionAndIsCutFromItsText() {
        Sampler sampler = new Sampler(model, TOKENIZER, Set.of());
        Completion free = sampler.generate(List.of(request(0, "hello world", 1)), SamplingParams.greedy(16), 0, 0)
                .get(0).get(0);
        String text = free.text();
        String stop = text.substring(4, 6);
        int first = text.indexOf(stop);
        Completion c = sampler.generate(List.of(request(0, "hello world", 1)),
                SamplingParams.greedy(16).withStop(List.of("@@", stop)), 0, 0).get(0).get(0);
        assertEquals(FinishReason.STOP, c.finishReason());
        assertEquals(stop, c.stopString());
        assertEquals(text.substring(0, first), c.text());
        assertEquals(first + stop.length(), c.tokens().length, "tokens run through the one completing the stop");
    }

    @Test
    void samplingIsReproducibleAndIndependentOfBatchMates() {
        Sampler sampler = new Sampler(model, TOKENIZER, Set.of());
        SamplingParams p = new SamplingParams(3.0, 0, 1.0, 0.0, 12, List.of()); // flat enough to vary
        List<Completion> alone = sampler.generate(List.of(request(7, "hello world", 3)), p, 42, 5).get(0);
        List<Completion> again = sampler.generate(List.of(request(7, "hello world", 3)), p, 42, 5).get(0);
        List<Completion> withOthers = sampler.generate(List.of(request(1, "abc", 2), request(7, "hello world", 3),
                request(9, "the quick brown fox", 4)), p, 42, 5).get(1);
        for (int i = 0; i < 3; i++) {
            assertArrayEquals(alone.get(i).tokens(), again.get(i).tokens());
            assertArrayEquals(alone.get(i).tokens(), withOthers.get(i).tokens());
        }
        assertFalse(Arrays.equals(alone.get(0).tokens(), alone.get(1).tokens()), "samples of a prompt differ");
        List<Completion> otherStep = sampler.generate(List.of(request(7, "hello world", 3)), p, 42, 6).get(0);
        assertFalse(Arrays.equals(alone.get(0).tokens(), otherStep.get(0).tokens()), "the step changes the draw");
    }

    @Test
    void sampledLogprobsEqualTheLearnersAtTheSameTemperature() {
        Sampler sampler = new Sampler(model, TOKENIZER, Set.of());
        for (double temperature : new double[] {1.0, 0.7}) {
            SamplingParams p = new SamplingParams(temperature, 5, 0.9, 0.0, 10, List.of());
            List<Completion> cs = sampler.generate(List.of(request(3, "12 + 7 =", 4), request(4, "a", 2)), p, 1, 0)
                    .stream().flatMap(List::stream).toList();
            List<int[]> prompts = cs.stream().map(c -> TOKENIZER.encode(c.promptKey() == 3 ? "12 + 7 =" : "a")).toList();
            float[][] learner = TokenLogprobs.evaluate(model, prompts, cs.stream().map(Completion::tokens).toList(),
                    TOKENIZER.padId(), temperature, 64);
            for (int i = 0; i < cs.size(); i++) {
                assertArrayEquals(cs.get(i).logprobs(), learner[i], 1e-4f, "completion " + i + " T=" + temperature);
            }
        }
    }

    @Test
    void gradModeIsOffWhileSamplingAndRestoredAfter() throws Exception {
        AtomicReference<Boolean> after = new AtomicReference<>();
        AtomicBoolean before = new AtomicBoolean();
        CausalLm trainable = model.copy(manager);
        trainable.setRequiresGradient(true);
        Thread t = new Thread(() -> {
            before.set(JniUtils.isGradMode()); // PyTorch turns grad mode on for new threads
            new Sampler(trainable, TOKENIZER, Set.of()).generate(List.of(request(0, "abc", 2)),
                    SamplingParams.standard(4), 0, 0);
            after.set(JniUtils.isGradMode());
        });
        t.start();
        t.join();
        assertTrue(before.get());
        assertTrue(after.get());
        trainable.parameters().values().forEach(p -> assertFalse(gradientTouched(p.getArray())));
        trainable.close();
    }

    private static boolean gradientTouched(NDArray a) {
        try (NDScope ignored = new NDScope()) {
            return a.getGradient().abs().sum().getFloat() != 0;
        }
    }

    @Test
    void thousandsOfStepsHoldFlatMemory() {
        Sampler sampler = new Sampler(model, TOKENIZER, Set.of(TOKENIZER.tokenId("e")));
        SamplingParams p = new SamplingParams(0.9, 8, 0.95, 0.01, 12, List.of("xx"));
        List<Sampler.Request> reqs = List.of(request(0, "hello", 3), request(1, "the quick brown fox", 2));
        sampler.generate(reqs, p, 0, 0); // warm-up (RoPE tables etc.)
        BaseNDManager root = (BaseNDManager) manager;
        int arrays = root.getManagedArrays().size();
        for (int step = 1; step <= 250; step++) { // about 3000 decode steps
            sampler.generate(reqs, p, 0, step);
        }
        assertEquals(arrays, root.getManagedArrays().size(), "arrays left behind by sampling");
    }

    @Test
    void suppressedTokensHaveNoProbabilityForSamplerAndLearnerAlike() {
        SamplingParams flat = new SamplingParams(4.0, 0, 1.0, 0.0, 10, List.of());
        List<Sampler.Request> reqs = List.of(request(0, "abc", 40), request(1, "hello world", 40));
        Set<Integer> never = TOKENIZER.neverGenerated();
        try (CausalLm suppressing = model.copy(manager)) {
            // without suppression a flat distribution reaches those ids
            long drawnWithout = new Sampler(suppressing, TOKENIZER, Set.of()).generate(reqs, flat, 3, 0).stream()
                    .flatMap(List::stream).flatMapToInt(c -> Arrays.stream(c.tokens())).filter(never::contains).count();
            assertTrue(drawnWithout > 0, "a flat distribution reaches every id");
            suppressing.suppressTokens(never);
            List<Completion> drawn = new Sampler(suppressing, TOKENIZER, Set.of()).generate(reqs, flat, 3, 0).stream()
                    .flatMap(List::stream).toList();
            assertEquals(0, drawn.stream().flatMapToInt(c -> Arrays.stream(c.tokens())).filter(never::contains).count());
            // the learner evaluates the same (suppressed) distribution the sampler recorded
            List<int[]> prompts = drawn.stream().map(c -> TOKENIZER.encode(c.promptKey() == 0 ? "abc" : "hello world"))
                    .toList();
            float[][] learner = TokenLogprobs.evaluate(suppressing, prompts, drawn.stream().map(Completion::tokens)
                    .toList(), TOKENIZER.padId(), 4.0, 4096);
            for (int i = 0; i < drawn.size(); i++) {
                // logits in the hundreds (weights scaled by 20): the KV-cache and full-forward paths differ in float
                // summation order by up to a few 1e-4 here, depending on the CPU's kernels
                assertArrayEquals(drawn.get(i).logprobs(), learner[i], 5e-4f);
            }
            try (CausalLm copy = suppressing.copy(manager)) {
                assertEquals(never, copy.suppressedTokens(), "replicas keep the suppression");
            }
        }
    }

    @Test
    void promptBeyondTheContextIsRejectedWithItsLength() {
        Sampler sampler = new Sampler(model, TOKENIZER, Set.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> sampler.generate(
                List.of(new Sampler.Request(0, new int[250], 1)), SamplingParams.greedy(10), 0, 0));
        assertTrue(e.getMessage().contains("250 tokens"), e.getMessage());
    }

    @Test
    void emptyPromptIsRefused() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> new Sampler.Request(4, new int[0], 1));
        assertTrue(e.getMessage().contains("prompt 4 has no tokens"), e.getMessage());
    }

    private static int indexOf(int[] a, int x) {
        for (int i = 0; i < a.length; i++) {
            if (a[i] == x) {
                return i;
            }
        }
        return -1;
    }
}
