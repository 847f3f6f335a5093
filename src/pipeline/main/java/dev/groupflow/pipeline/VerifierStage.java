package dev.groupflow.pipeline;

import dev.groupflow.metrics.PipelineGauges;
import dev.groupflow.verify.Outcome;
import dev.groupflow.verify.VerifierCalls;
import org.apache.pekko.NotUsed;
import org.apache.pekko.stream.javadsl.Flow;

/**
 * Scores rollouts with at most {@code concurrency} verifier calls in flight. A slow call holds one of those
 * slots, never the stream: results leave in completion order ({@code mapAsyncUnordered}), so fast completions
 * overtake a straggler. Every rollout leaves with an outcome (scored, failed or timed out); the stage never fails
 * because a verifier did.
 */
public final class VerifierStage {
    private VerifierStage() {
    }

    public static Flow<Rollout, ScoredRollout, NotUsed> flow(VerifierCalls calls, int concurrency,
                                                            PipelineGauges gauges) {
        return Flow.<Rollout>create().mapAsyncUnordered(concurrency, r -> {
            gauges.samplesInVerifier.incrementAndGet();
            return calls.call(r.verifyRequest()).toCompletableFuture()
                    .exceptionally(e -> new Outcome.Failed(String.valueOf(e), 1, 0))
                    .thenApply(o -> {
                        gauges.samplesInVerifier.decrementAndGet();
                        gauges.record(o);
                        return new ScoredRollout(r, o);
                    });
        });
    }

}
