package dev.groupflow.agent;

/**
 * Bounds of an episode; reaching one ends it as {@link EpisodeOutcome.Truncated} with the rewards so far.
 *
 * @param maxTurns the most policy turns
 * @param maxTokens the most tokens of the whole context (prompt, turns and answers); a turn may use what is left,
 *     at most {@code maxTurnTokens}
 * @param maxTurnTokens the most tokens of one policy turn
 */
public record EpisodeLimits(int maxTurns, int maxTokens, int maxTurnTokens) {
    public EpisodeLimits {
        if (maxTurns < 1 || maxTokens < 2 || maxTurnTokens < 1) {
            throw new IllegalArgumentException("episode limits must be positive: max turns " + maxTurns
                    + ", max tokens " + maxTokens + ", max turn tokens " + maxTurnTokens);
        }
    }
}
