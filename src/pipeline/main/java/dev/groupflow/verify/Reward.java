package dev.groupflow.verify;

import java.util.Map;

/**
 * A verifier's score.
 *
 * @param value the reward
 * @param components named parts of the reward (empty when there is only one)
 * @param details a short human-readable explanation (may be empty)
 */
public record Reward(double value, Map<String, Double> components, String details) {
    public Reward {
        components = components == null ? Map.of() : Map.copyOf(components);
        details = details == null ? "" : details;
    }

    public static Reward of(double value) {
        return new Reward(value, Map.of(), "");
    }
}
