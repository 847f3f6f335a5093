package dev.groupflow.grpo;

import java.util.ArrayList;
import java.util.List;

/**
 * G²RPO-A's adaptive guidance length (arXiv 2508.13023; the authors' {@code _compute_new_guidance_length} and
 * {@code GuidanceLengthUpdateCallback}): how many tokens ℓ of a prompt's reference trace a guided completion is
 * forced to start with. Steps run in cycles of three. The training accuracy of the first two steps of a cycle is
 * collected; at the third,
 *
 * <pre>
 *   ℓ ← clamp(⌊ℓ · mean(acc[k−2], acc[k−1]) / acc[k]⌋, 1, ℓ_max)     when acc[k] > 0 and the mean > 0
 *   ℓ unchanged                                                      otherwise
 * </pre>
 *
 * so a drop in accuracy lengthens the guidance and a rise shortens it. The new ℓ applies from the next step.
 *
 * <p>Immutable: {@link #observe} returns the next state. The state (ℓ and the accuracies of the cycle so far) is
 * small and is part of a run's checkpoint, so a resumed run continues the same cycle.
 *
 * @param length ℓ, the current guidance length in tokens (1 ≤ ℓ ≤ ℓ_max)
 * @param maxLength ℓ_max
 * @param cycle the accuracies of the current cycle so far (at most two)
 */
public record GuidanceLength(int length, int maxLength, List<Double> cycle) {
    /** Steps per cycle: two collect the accuracy, the third updates ℓ. */
    public static final int CYCLE = 3;

    public GuidanceLength {
        if (maxLength < 1 || length < 1 || length > maxLength) {
            throw new IllegalArgumentException("guidance length must satisfy 1 <= length <= max-length, got length "
                    + length + " and max-length " + maxLength);
        }
        cycle = List.copyOf(cycle);
        if (cycle.size() >= CYCLE) {
            throw new IllegalArgumentException("a cycle holds at most " + (CYCLE - 1) + " accuracies, got " + cycle);
        }
    }

    /** The state at the start of training: ℓ = {@code initial}, an empty cycle. */
    public static GuidanceLength start(int initial, int maxLength) {
        return new GuidanceLength(initial, maxLength, List.of());
    }

    /**
     * The state after a step whose training accuracy was {@code accuracy} (finite; the mean reward of the step's
     * completions). The third step of a cycle updates ℓ and starts a new cycle.
     */
    public GuidanceLength observe(double accuracy) {
        if (!Double.isFinite(accuracy)) {
            throw new IllegalArgumentException("accuracy must be finite, got " + accuracy);
        }
        if (cycle.size() < CYCLE - 1) {
            List<Double> more = new ArrayList<>(cycle);
            more.add(accuracy);
            return new GuidanceLength(length, maxLength, more);
        }
        return new GuidanceLength(next(length, maxLength, cycle.get(0), cycle.get(1), accuracy), maxLength, List.of());
    }

    /**
     * The rule itself.
     *
     * @param length ℓ
     * @param maxLength ℓ_max
     * @param before2 acc[k−2]
     * @param before1 acc[k−1]
     * @param accuracy acc[k]
     * @return the next ℓ
     */
    public static int next(int length, int maxLength, double before2, double before1, double accuracy) {
        double mean = (before2 + before1) / 2;
        if (!(accuracy > 0 && mean > 0)) {
            return length;
        }
        double scaled = Math.floor(length * mean / accuracy);
        return (int) Math.max(1, Math.min(maxLength, scaled));
    }
}
