package dev.groupflow.verify;

import dev.groupflow.data.DigitTask;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/** The built-in task's checker: partial credit per correct position against the row's answer. */
public final class TaskVerifier implements Verifier {
    @Override
    public CompletionStage<Reward> score(VerifyRequest request) {
        if (request.answer() == null) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("the prompt has no answer"));
        }
        return CompletableFuture.completedFuture(Reward.of(DigitTask.reward(request.answer(), request.completion())));
    }
}
