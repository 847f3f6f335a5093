package dev.groupflow.pipeline;

import dev.groupflow.grpo.Advantages;

/**
 * Which complete groups are dropped before the learner (each one frees its slot, so a replacement prompt is drawn
 * and batches stay full; counted as {@code filtered_groups}).
 */
public sealed interface GroupFilter {
    /** Every group is trained on. */
    GroupFilter NONE = new None();
    /** DAPO's dynamic sampling: groups whose scored rewards are all equal ({@link Advantages#zeroVariance}). */
    GroupFilter ZERO_VARIANCE = new ZeroVariance();

    /** Whether the group is dropped. */
    boolean drops(Group g);

    /** Keeps everything. */
    record None() implements GroupFilter {
        @Override
        public boolean drops(Group g) {
            return false;
        }
    }

    /** Drops groups without spread, all-correct and all-wrong alike. */
    record ZeroVariance() implements GroupFilter {
        @Override
        public boolean drops(Group g) {
            return g.zeroVariance();
        }
    }

    /**
     * NGRPO's filter ({@code filter_groups.strategy = all_correct}): drops a group with at least one scored member
     * whose scored rewards all equal {@code best} (r_max: no signal under NGRPO), keeps all-wrong ones (they do
     * carry signal under NGRPO).
     */
    record AllCorrect(double best) implements GroupFilter {
        @Override
        public boolean drops(Group g) {
            int scored = 0;
            for (Double r : g.rewards()) {
                if (r != null) {
                    if (r != best) {
                        return false;
                    }
                    scored++;
                }
            }
            return scored > 0;
        }
    }
}
