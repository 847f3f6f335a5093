package dev.groupflow.verify;

import static dev.groupflow.verify.Requests.score;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.time.Duration;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class FormatVerifierTest {
    private static FormatVerifier tags(String... names) {
        return new FormatVerifier(new FormatVerifier.Settings("tags", "", true, List.of(names), 10_000,
                Duration.ofSeconds(1)), Runnable::run);
    }

    private static FormatVerifier regex(String pattern, boolean full, Duration limit) {
        return new FormatVerifier(new FormatVerifier.Settings("regex", pattern, full, List.of(), 100_000, limit),
                Runnable::run);
    }

    @Test
    void thinkThenAnswerEachOnceInOrder() {
        FormatVerifier v = tags("think", "answer");
        assertEquals(1.0, score(v, "<think>a b</think><answer>42</answer>", null).value());
        assertEquals(1.0, score(v, "\n <think>\nx\n</think>\n\n<answer>42</answer>\n", null).value());
        assertEquals(1.0, score(v, "<think></think><answer></answer>", null).value());
        assertEquals(0.0, score(v, "<answer>42</answer><think>x</think>", null).value());
        assertEquals(0.0, score(v, "<think>x</think>", null).value());
        assertEquals(0.0, score(v, "hello <think>x</think><answer>1</answer>", null).value());
        assertEquals(0.0, score(v, "<think>x</think><answer>1</answer> bye", null).value());
        assertEquals(0.0, score(v, "<think>x</think>between<answer>1</answer>", null).value());
        assertEquals(0.0, score(v, "<think>x</think><answer>1</answer><answer>2</answer>", null).value());
        assertEquals(0.0, score(v, "<think><think>x</think><answer>1</answer>", null).value());
        assertEquals(0.0, score(v, "<think>x<answer>1</answer></think>", null).value());
        assertEquals(0.0, score(v, "<think>x</think><answer>1", null).value());
        Reward r = score(v, "<answer>1</answer>", null);
        assertTrue(r.details().contains("no <think>"), r.details());
    }

    @Test
    void tagNamesAreConfigurable() {
        FormatVerifier v = tags("reasoning", "final");
        assertEquals(1.0, score(v, "<reasoning>r</reasoning> <final>f</final>", null).value());
        assertEquals(0.0, score(v, "<think>r</think><answer>f</answer>", null).value());
    }

    @Test
    void regexFullMatchOrFind() {
        FormatVerifier full = regex("\\d+", true, Duration.ofSeconds(1));
        FormatVerifier find = regex("\\d+", false, Duration.ofSeconds(1));
        assertEquals(1.0, score(full, "123", null).value());
        assertEquals(0.0, score(full, "abc 123", null).value());
        assertEquals(1.0, score(find, "abc 123", null).value());
        assertEquals(0.0, score(find, "abc", null).value());
    }

    @Test
    void tooLongCompletionsScoreZeroUnread() {
        FormatVerifier v = new FormatVerifier(new FormatVerifier.Settings("regex", ".*", true, List.of(), 10,
                Duration.ofSeconds(1)), Runnable::run);
        Reward r = score(v, "x".repeat(11), null);
        assertEquals(0.0, r.value());
        assertTrue(r.details().contains("more than 10"), r.details());
    }

    /**
     * A pattern that backtracks exponentially even in Java 17's engine (which defuses the textbook {@code (a+)+b}):
     * each extra 4 characters multiply the work by about 8, so 40 characters would take hours. The 30 s limit is
     * only a hang guard.
     */
    @Test
    void catastrophicBacktrackingStopsAtTheDeadlineAsAFailure() {
        FormatVerifier v = regex("(.*){1,32000}[bc]", true, Duration.ofMillis(200));
        Throwable t = assertTimeoutPreemptively(Duration.ofSeconds(30),
                () -> Requests.failure(v, Requests.of("a".repeat(40) + "!", null)));
        assertTrue(t instanceof VerifierFailure f && !f.retryable(), String.valueOf(t));
        assertTrue(t.getMessage().contains("(.*){1,32000}[bc]") && t.getMessage().contains("catastrophic backtracking"),
                t.getMessage());
    }

    @Test
    void scoringRunsOnTheGivenExecutor() {
        AtomicInteger ran = new AtomicInteger();
        FormatVerifier v = new FormatVerifier(new FormatVerifier.Settings("tags", "", true, List.of("a"), 100,
                Duration.ofSeconds(1)), r -> {
                    ran.incrementAndGet();
                    r.run();
                });
        assertEquals(1.0, score(v, "<a>x</a>", null).value());
        assertEquals(1, ran.get());
    }
}
