package dev.groupflow.agent;

import dev.groupflow.CborSerializable;

/**
 * A run of an episode's tokens.
 *
 * @param kind what the tokens are
 * @param tokens the token ids
 * @param logprobs for a policy turn, each token's log-probability under the policy that sampled it (the behaviour
 *     log-probabilities of the loss); null otherwise
 * @param policyVersion for a policy turn, the weights' version that sampled it; -1 otherwise
 */
public record Segment(Kind kind, int[] tokens, float[] logprobs, long policyVersion) implements CborSerializable {

    /** What a segment's tokens are. */
    public enum Kind {
        /**
         * A whole context the following segments continue: the first one (the rendered task), and a new one
         * whenever the re-rendered conversation did not start with the tokens the policy had already seen (the
         * turns after it were generated from this context instead).
         */
        CONTEXT,
        /** A policy turn: trained, with behaviour log-probabilities. */
        POLICY,
        /** An environment's answer appended to the context: masked out of the loss. */
        ENVIRONMENT
    }

    public Segment {
        if ((kind == Kind.POLICY) != (logprobs != null)) {
            throw new IllegalArgumentException("a " + kind + " segment " + (kind == Kind.POLICY ? "needs" : "has no")
                    + " log-probabilities");
        }
        if (logprobs != null && logprobs.length != tokens.length) {
            throw new IllegalArgumentException(logprobs.length + " log-probabilities for " + tokens.length
                    + " tokens");
        }
    }

    public static Segment context(int[] tokens) {
        return new Segment(Kind.CONTEXT, tokens, null, -1);
    }

    public static Segment policy(int[] tokens, float[] logprobs, long policyVersion) {
        return new Segment(Kind.POLICY, tokens, logprobs, policyVersion);
    }

    public static Segment environment(int[] tokens) {
        return new Segment(Kind.ENVIRONMENT, tokens, null, -1);
    }
}
