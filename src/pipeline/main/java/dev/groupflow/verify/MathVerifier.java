package dev.groupflow.verify;

import dev.groupflow.config.SectionReader;
import java.time.Duration;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Reward 1 when the completion's final answer ({@link FinalAnswer}: the last {@code \boxed{}}, else the last
 * number) is mathematically equal to the row's answer, else 0. Numbers are compared exactly as fractions
 * ({@code 0.5 = 1/2 = \frac{1}{2} = \dfrac12}, {@code 1,000 = 1000}, {@code −3 = -3}); once an irrational part
 * enters ({@code \sqrt{2}}, {@code \pi}) with a relative tolerance. Tuples and intervals compare part by part;
 * what is not a number compares as cleaned text. See docs/verifiers.md for the exact rules.
 *
 * <p>A completion too long to read, or whose answer needs more work than the limits allow (a huge power, deep
 * nesting, the time limit), scores 0 with the reason in the details: that is an honest score for such a
 * completion. A row without an answer, or whose answer is over the limits, is a verifier failure instead.
 * The work runs on {@code executor}, never on the caller's thread.
 */
public final class MathVerifier implements Verifier {
    private final Settings settings;
    private final Executor executor;

    /**
     * @param percent "number" (a percent sign is dropped: 50% = 50) or "fraction" (50% = 1/2)
     * @param lastNumberFallback use the last number of the text when there is no \boxed{}
     * @param tolerance relative tolerance for comparisons involving irrational values
     * @param maxCompletionChars longer completions score 0 unread
     * @param maxAnswerChars longer extracted answers score 0 (a longer row answer is a failure)
     * @param maxDepth deepest nesting of braces and parentheses read
     * @param maxValueBits largest exact value (numerator plus denominator bits) computed
     * @param timeLimit time allowed to read both answers
     */
    public record Settings(String percent, boolean lastNumberFallback, double tolerance, int maxCompletionChars,
                           int maxAnswerChars, int maxDepth, long maxValueBits, Duration timeLimit) {
        public static final Set<String> PERCENT = Set.of("number", "fraction");

        public static Settings defaults() {
            return new Settings("number", true, 1e-9, 262_144, 1_000, 100, 16_384, Duration.ofSeconds(1));
        }

        public static Settings read(SectionReader r) {
            return new Settings(r.choice("percent", PERCENT), r.choice("fallback", Set.of("last-number", "none"))
                    .equals("last-number"), r.atLeast("tolerance", 0.0), r.atLeast("max-completion-chars", 1),
                    r.atLeast("max-answer-chars", 1), r.atLeast("max-depth", 1), r.atLeast("max-value-bits", 64),
                    r.positiveDuration("time-limit"));
        }
    }

    public MathVerifier(Settings settings, Executor executor) {
        this.settings = settings;
        this.executor = executor;
    }

    @Override
    public CompletionStage<Reward> score(VerifyRequest request) {
        if (request.answer() == null) {
            return CompletableFuture.failedFuture(VerifierFailure.permanent("the prompt row has no 'answer'"));
        }
        return CompletableFuture.supplyAsync(() -> scoreNow(request.completion(), request.answer()), executor);
    }

    /** Scores on the calling thread. */
    Reward scoreNow(String completion, String answer) {
        Settings s = settings;
        if (answer.length() > s.maxAnswerChars()) {
            throw VerifierFailure.permanent("the row's answer has " + answer.length() + " characters, more than "
                    + "verifier.math.max-answer-chars = " + s.maxAnswerChars());
        }
        boolean percentIsFraction = s.percent().equals("fraction");
        MathBudget budget = new MathBudget(s.maxDepth(), s.maxValueBits(), System.nanoTime() + s.timeLimit().toNanos());
        MathForm reference;
        try {
            reference = MathForm.read(answer, budget, percentIsFraction);
        } catch (MathBudget.Exceeded e) {
            throw VerifierFailure.permanent("the row's answer '" + shorten(answer) + "' cannot be read: "
                    + e.getMessage() + " (raise the verifier.math limits or fix the row)");
        }
        if (completion.length() > s.maxCompletionChars()) {
            return zero("rejected: the completion has " + completion.length() + " characters, more than "
                    + s.maxCompletionChars());
        }
        FinalAnswer.Found found = FinalAnswer.find(completion, s.lastNumberFallback());
        if (found.text() == null) {
            return zero("no \\boxed{} answer" + (s.lastNumberFallback() ? " and no number" : ""));
        }
        if (found.text().length() > s.maxAnswerChars()) {
            return zero("rejected: the " + found.source() + " answer has " + found.text().length()
                    + " characters, more than " + s.maxAnswerChars());
        }
        MathForm candidate;
        try {
            candidate = MathForm.read(found.text(), budget, percentIsFraction);
        } catch (MathBudget.Exceeded e) {
            return zero("rejected: the " + found.source() + " answer '" + shorten(found.text()) + "' is unreadable: "
                    + e.getMessage());
        }
        boolean equal = candidate.equalTo(reference, s.tolerance());
        return new Reward(equal ? 1.0 : 0.0, Map.of(), found.source() + " '" + shorten(found.text())
                + "' = " + candidate + (equal ? " equals " : " differs from ") + "answer " + reference);
    }

    private static Reward zero(String why) {
        return new Reward(0.0, Map.of(), why);
    }

    private static String shorten(String s) {
        return s.length() <= 60 ? s : s.substring(0, 57) + "...";
    }
}
