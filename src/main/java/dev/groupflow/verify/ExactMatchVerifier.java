package dev.groupflow.verify;

import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * Reward 1 when the completion equals the row's answer after normalisation (trimmed, whitespace runs collapsed to
 * one space, lower-cased), else 0. A row without an answer is a failure, not reward 0.
 */
public final class ExactMatchVerifier implements Verifier {
    static String normalise(String s) {
        return s.strip().replaceAll("\\s+", " ").toLowerCase(Locale.ROOT);
    }

    @Override
    public CompletionStage<Reward> score(VerifyRequest request) {
        if (request.answer() == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("the prompt row has no 'answer'"));
        }
        boolean match = normalise(request.completion()).equals(normalise(request.answer()));
        return CompletableFuture.completedFuture(Reward.of(match ? 1.0 : 0.0));
    }
}
