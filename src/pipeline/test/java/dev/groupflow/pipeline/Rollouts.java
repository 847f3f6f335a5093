package dev.groupflow.pipeline;

import dev.groupflow.verify.Outcome;
import java.util.Map;

/** Small rollouts and outcomes for stage tests. */
final class Rollouts {
    private Rollouts() {
    }

    static PromptWork prompt(long key, String answer) {
        return new PromptWork(key, key, "p" + key, "prompt " + key, new int[] {1, 2}, answer, Map.of());
    }

    static Rollout rollout(long key, int sample, String text) {
        return new Rollout(prompt(key, "42"), sample, 0, new int[] {5, 6}, new float[] {-1f, -2f}, text, false);
    }

    static ScoredRollout scored(long key, int sample, double reward) {
        return new ScoredRollout(rollout(key, sample, "x"),
                new Outcome.Scored(reward, Map.of(), "", 1, 1.0));
    }
}
