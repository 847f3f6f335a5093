package dev.groupflow.verify;

import dev.groupflow.data.DigitTask;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The built-in task's checker: partial credit per correct position against the row's answer, or all or nothing
 * for prompts whose metadata says {@code "scoring": "exact"} (the {@code hidden} task). The completion, stripped,
 * is the canonical answer (majority voting).
 */
public final class TaskVerifier implements Verifier {
    @Override
    public CompletionStage<Reward> score(VerifyRequest request) {
        if (request.answer() == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("the prompt has no answer"));
        }
        double reward = "exact".equals(request.metadata().get("scoring"))
                ? (request.answer().equals(request.completion()) ? 1.0 : 0.0)
                : DigitTask.reward(request.answer(), request.completion());
        return CompletableFuture.completedFuture(Reward.of(reward).withAnswer(request.completion().strip()));
    }
}
