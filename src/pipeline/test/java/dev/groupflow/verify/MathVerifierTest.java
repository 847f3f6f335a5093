package dev.groupflow.verify;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class MathVerifierTest {
    /**
     * Only a hang guard: every adversarial input must end with a clear rejection; if the parser ever looped or
     * backtracked without bound the test would otherwise never finish. The limit is deliberately very generous
     * and is not a performance assertion.
     */
    private static final Duration HANG_GUARD = Duration.ofSeconds(30);

    private static final MathVerifier DEFAULT = new MathVerifier(MathVerifier.Settings.defaults(), Runnable::run);

    private static Reward score(MathVerifier v, String completion, String answer) {
        return v.score(new VerifyRequest("q", completion, answer, Map.of())).toCompletableFuture().join();
    }

    private static Reward score(String completion, String answer) {
        return score(DEFAULT, completion, answer);
    }

    record Pair(int line, boolean same, String candidate, String answer) {
    }

    static List<Pair> pairs() throws IOException {
        try (InputStream in = MathVerifierTest.class.getResourceAsStream("/verify/math_pairs.tsv")) {
            List<Pair> out = new ArrayList<>();
            String[] lines = new String(in.readAllBytes(), StandardCharsets.UTF_8).split("\n");
            for (int i = 0; i < lines.length; i++) {
                String line = lines[i];
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] f = line.split("\t", -1);
                assertEquals(3, f.length, "math_pairs.tsv line " + (i + 1) + ": expected 3 tab-separated fields");
                assertTrue(f[0].equals("same") || f[0].equals("different"), "line " + (i + 1) + ": " + f[0]);
                out.add(new Pair(i + 1, f[0].equals("same"), f[1], f[2]));
            }
            return out;
        }
    }

    @Test
    void everyPairOfTheTableHasItsVerdict() throws IOException {
        List<Pair> pairs = pairs();
        assertTrue(pairs.size() >= 100, "the table has " + pairs.size() + " pairs");
        List<String> wrong = new ArrayList<>();
        for (Pair p : pairs) {
            Reward r = score("Reasoning... so the answer is $\\boxed{" + p.candidate() + "}$.", p.answer());
            if ((r.value() == 1.0) != p.same()) {
                wrong.add("line " + p.line() + ": " + p.candidate() + " vs " + p.answer() + " expected "
                        + (p.same() ? "same" : "different") + " (" + r.details() + ")");
            }
        }
        assertTrue(wrong.isEmpty(), wrong.size() + " wrong verdicts:\n" + String.join("\n", wrong));
    }

    @Test
    void theTableIsSymmetric() throws IOException {
        for (Pair p : pairs()) {
            Reward r = score("\\boxed{" + p.answer() + "}", p.candidate());
            assertEquals(p.same() ? 1.0 : 0.0, r.value(), "line " + p.line() + " reversed: " + r.details());
        }
    }

    @Test
    void theLastClosedBoxCounts() {
        assertEquals(1.0, score("first \\boxed{3}, then \\boxed{5}", "5").value());
        assertEquals(0.0, score("first \\boxed{5}, then \\boxed{3}", "5").value());
        assertEquals(1.0, score("\\boxed{\\frac{1}{\\sqrt{4}}}", "0.5").value());
        assertEquals(1.0, score("\\fbox{7}", "7").value());
        assertEquals(1.0, score("\\boxed {7}", "7").value());
        // an unclosed last box does not count; the closed one before it does
        assertEquals(1.0, score("\\boxed{2} and then \\boxed{3", "2").value());
        // nested boxes: the outer one closes last
        assertEquals(1.0, score("\\boxed{1+\\boxed{2}}", "3").value());
        // escaped braces are not groups
        assertEquals(1.0, score("\\boxed{\\{1,2\\}}", "\\{1,2\\}").value());
    }

    @Test
    void withoutABoxTheLastNumberCounts() {
        Reward r = score("We get 3 apples, then 12 more: 15", "15");
        assertEquals(1.0, r.value());
        assertTrue(r.details().startsWith("last number"), r.details());
        assertEquals(1.0, score("The total is 1,250.", "1250").value());
        assertEquals(1.0, score("x = −4", "-4").value());
        assertEquals(1.0, score("so 3/4 of them", "0.75").value());
        assertEquals(0.0, score("no digits here", "1").value());
        MathVerifier strict = new MathVerifier(new MathVerifier.Settings("number", false, 1e-9, 1000, 100, 50,
                4096, Duration.ofSeconds(1)), Runnable::run);
        Reward none = score(strict, "The answer is 15", "15");
        assertEquals(0.0, none.value());
        assertTrue(none.details().contains("no \\boxed{}"), none.details());
    }

    @Test
    void percentagesAreFractionsOnlyWhenConfigured() {
        MathVerifier fractions = new MathVerifier(new MathVerifier.Settings("fraction", true, 1e-9, 1000, 100, 50,
                4096, Duration.ofSeconds(1)), Runnable::run);
        assertEquals(1.0, score(fractions, "\\boxed{50\\%}", "0.5").value());
        assertEquals(1.0, score(fractions, "\\boxed{12.5%}", "\\frac{1}{8}").value());
        assertEquals(0.0, score(fractions, "\\boxed{50\\%}", "50").value());
        assertEquals(0.0, score("\\boxed{50\\%}", "0.5").value());
        assertEquals(1.0, score("\\boxed{50\\%}", "50").value());
    }

    @Test
    void aRowWithoutAnAnswerIsAFailureNotZero() {
        CompletionException e = assertThrows(CompletionException.class,
                () -> DEFAULT.score(new VerifyRequest("q", "\\boxed{1}", null, Map.of())).toCompletableFuture().join());
        assertTrue(e.getCause() instanceof VerifierFailure f && !f.retryable(), e.toString());
    }

    @Test
    void anAnswerOverTheLimitsIsAFailure() {
        CompletionException huge = assertThrows(CompletionException.class, () -> score("\\boxed{1}", "10^{1000000}"));
        assertTrue(huge.getCause().getMessage().contains("cannot be read"), huge.getCause().getMessage());
        CompletionException longAnswer = assertThrows(CompletionException.class,
                () -> score("\\boxed{1}", "1".repeat(5000)));
        assertTrue(longAnswer.getCause().getMessage().contains("max-answer-chars"), longAnswer.getMessage());
    }

    private static void assertRejected(String completion, String reason) {
        assertRejected(DEFAULT, completion, reason);
    }

    private static void assertRejected(MathVerifier v, String completion, String reason) {
        Reward r = assertTimeoutPreemptively(HANG_GUARD, () -> score(v, completion, "1"));
        assertEquals(0.0, r.value(), r.details());
        assertTrue(r.details().startsWith("rejected") && r.details().contains(reason), r.details());
    }

    @Test
    void hugePowersAreRejectedBeforeTheyAreComputed() {
        assertRejected("\\boxed{10^{1000000}}", "needs more than");
        assertRejected("\\boxed{2^{2^{2^{2^{2^{2}}}}}}", "needs more than");
        assertRejected("\\boxed{10^{10^{10}}}", "needs more than");
        assertRejected("\\boxed{(10^{1000})^{1000}}", "needs more than");
        assertRejected("\\boxed{9999^{99999}}", "needs more than");
    }

    @Test
    void deepNestingIsRejected() {
        int depth = 100_000;
        String deep = "\\boxed{" + "{".repeat(depth) + "1" + "}".repeat(depth) + "}";
        // by default such an answer is over max-answer-chars before its depth matters
        assertRejected(deep, "characters, more than");
        MathVerifier roomy = new MathVerifier(new MathVerifier.Settings("number", true, 1e-9, 1 << 20, 1 << 20, 100,
                4096, Duration.ofSeconds(1)), Runnable::run);
        assertRejected(roomy, deep, "nested deeper than 100");
        assertRejected(roomy, "\\boxed{" + "(".repeat(500) + "1" + ")".repeat(500) + "}", "nested deeper");
        assertRejected(roomy, "\\boxed{" + "\\frac{1}{".repeat(300) + "2" + "}".repeat(300) + "}", "nested deeper");
        assertRejected(roomy, "\\boxed{" + "-".repeat(900) + "1}", "nested deeper");
        assertRejected(roomy, "\\boxed{" + "\\sqrt{".repeat(5000) + "2" + "}".repeat(5000) + "}", "nested deeper");
        // within the limit the same shapes are read
        assertEquals(1.0, score(roomy, "\\boxed{" + "{".repeat(40) + "1" + "}".repeat(40) + "}", "1").value());
    }

    @Test
    void hugeCompletionsAndAnswersAreRejected() {
        assertRejected("1".repeat(1 << 20), "characters, more than");
        assertRejected("\\boxed{" + "1+".repeat(5000) + "1}", "characters, more than");
        String manyFracs = "\\boxed{" + "\\frac{1}{2}+".repeat(80) + "1}";
        assertEquals(0.0, assertTimeoutPreemptively(HANG_GUARD, () -> score(manyFracs, "1")).value());
        assertEquals(1.0, score("\\boxed{" + "\\frac{1}{2}+".repeat(80) + "1}", "41").value());
    }

    @Test
    void manyDistinctDenominatorsStayWithinTheBitBudget() {
        // 1/2 + 1/3 + ... grows its denominator; the sum is read exactly or rejected, never unbounded
        MathVerifier small = new MathVerifier(new MathVerifier.Settings("number", true, 1e-9, 100_000, 100_000, 50,
                256, Duration.ofSeconds(5)), Runnable::run);
        StringBuilder sb = new StringBuilder("\\boxed{");
        for (int i = 2; i < 400; i++) {
            sb.append("\\frac{1}{").append(i).append("}+");
        }
        sb.append("0}");
        Reward r = assertTimeoutPreemptively(HANG_GUARD, () -> score(small, sb.toString(), "1"));
        assertEquals(0.0, r.value());
        assertTrue(r.details().contains("more than 256 bits"), r.details());
    }

    @Test
    void megabytesOfBracesOutsideABoxEndPromptly() {
        MathVerifier big = new MathVerifier(new MathVerifier.Settings("number", true, 1e-9, 4 << 20, 1000, 100,
                4096, Duration.ofSeconds(1)), Runnable::run);
        String braces = "\\boxed{".repeat(200_000) + "}".repeat(100_000) + "{".repeat(1 << 20) + "42";
        Reward r = assertTimeoutPreemptively(HANG_GUARD, () -> score(big, braces, "42"));
        // the innermost closed boxes are empty... the last closing one is the 100000th from the inside
        assertEquals(0.0, r.value(), r.details());
    }

    @Test
    void detailsSayWhatWasCompared() {
        Reward r = score("\\boxed{\\frac{2}{4}}", "0.5");
        assertEquals("boxed '\\frac{2}{4}' = 1/2 equals answer 1/2", r.details());
    }
}
