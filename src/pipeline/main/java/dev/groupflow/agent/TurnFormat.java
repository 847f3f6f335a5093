package dev.groupflow.agent;

import dev.groupflow.sampling.Completion;
import java.util.Set;

/**
 * How an episode's conversation becomes the tokens the policy sees: {@link PlainTurnFormat} (text appended as it
 * is; the built-in task) or {@link ChatTurnFormat} (the model's own chat template, tools and tool calls as it
 * defines them).
 */
public interface TurnFormat {

    /**
     * Begins an episode's transcript from the environment's first observation.
     *
     * @throws EnvironmentFailure when the observation cannot be shown in this format
     */
    Transcript begin(Observation first);

    /**
     * The tokens that end a policy turn, given the tokenizer's end-of-sequence ids: those ids, and for a chat format
     * also the token its template closes an assistant message with (Qwen's {@code <|im_end|>}).
     */
    default Set<Integer> turnEnds(Set<Integer> eosIds) {
        return eosIds;
    }

    /** One episode's conversation. Not thread-safe: one episode's turns happen one at a time. */
    interface Transcript {

        /** The tokens the policy sees now (its next turn continues them). */
        int[] context();

        /** Records the policy's turn (its tokens extend the context) and reads its action. */
        Action act(Completion turn);

        /**
         * Adds the environment's answer. The context becomes the conversation rendered again: normally the old one
         * plus new tokens, but a template may render earlier turns differently.
         *
         * @return the text the answer added, for people reading the episode
         * @throws EnvironmentFailure when the observation cannot be shown in this format
         */
        String observe(Observation observation);
    }
}
