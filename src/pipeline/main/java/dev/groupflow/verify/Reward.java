package dev.groupflow.verify;

import java.util.Map;

/**
 * A verifier's score.
 *
 * @param value the reward
 * @param components named parts of the reward (empty when there is only one)
 * @param details a short human-readable explanation (may be empty)
 * @param answer the completion's canonical answer, or null when the verifier does not read one: equal answers are
 *     the same string, so answers of several completions can be counted (majority voting, maj@k). The math
 *     verifier gives the normalised final answer, exact match the normalised text.
 */
public record Reward(double value, Map<String, Double> components, String details, String answer) {
    public Reward {
        components = components == null ? Map.of() : Map.copyOf(components);
        details = details == null ? "" : details;
    }

    /** A reward without a canonical answer. */
    public Reward(double value, Map<String, Double> components, String details) {
        this(value, components, details, null);
    }

    public static Reward of(double value) {
        return new Reward(value, Map.of(), "");
    }

    /** This reward with the completion's canonical answer. */
    public Reward withAnswer(String canonical) {
        return new Reward(value, components, details, canonical);
    }
}
