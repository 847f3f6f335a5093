package dev.groupflow.agent;

import dev.groupflow.data.Prompt;
import dev.groupflow.CborSerializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A whole episode as the learner and the run's files take it: plain data (token ids, log-probabilities, rewards,
 * state keys, the outcome), never tensors.
 *
 * <p>The tokens are {@link Segment}s: a {@code CONTEXT} (the rendered task), then per turn a {@code POLICY} segment
 * (trained) and an {@code ENVIRONMENT} segment (masked out of the loss). When the re-rendered conversation did not
 * continue the tokens the policy had seen, a new {@code CONTEXT} segment holds the context the following turns
 * were generated from. {@link #turnRows()} gives each policy turn with exactly the context it was sampled from
 * (always valid); {@link #sequence()} gives the episode as one sequence with a loss mask (valid when there is a
 * single context).
 *
 * @param episodeId the id the environment knew the episode by
 * @param episodeKey the stable number that seeded its sampling
 * @param sampleIndex which of its group's G episodes
 * @param task the task it was started for
 * @param segments its tokens
 * @param steps one per policy turn, in order
 * @param outcome how it ended
 */
public record Episode(String episodeId, long episodeKey, int sampleIndex, Prompt task, List<Segment> segments,
                      List<Step> steps, EpisodeOutcome outcome) implements CborSerializable {

    public Episode {
        segments = List.copyOf(segments);
        steps = List.copyOf(steps);
        long policy = segments.stream().filter(s -> s.kind() == Segment.Kind.POLICY).count();
        if (policy != steps.size()) {
            throw new IllegalArgumentException("episode " + episodeId + ": " + policy + " policy turns but "
                    + steps.size() + " steps");
        }
        if (segments.isEmpty() ? !steps.isEmpty() : segments.get(0).kind() != Segment.Kind.CONTEXT) {
            throw new IllegalArgumentException("episode " + episodeId + " does not begin with its context");
        }
    }

    /** The episode's return R = Σ_t r_t (meaningful only when {@link EpisodeOutcome#rewarded()}). */
    public double totalReward() {
        return steps.stream().mapToDouble(Step::reward).sum();
    }

    /** How many times the context was rendered anew rather than continued (0 for an append-only format). */
    public int contextResets() {
        return (int) Math.max(0, segments.stream().filter(s -> s.kind() == Segment.Kind.CONTEXT).count() - 1);
    }

    /** Tokens the policy generated. */
    public int policyTokens() {
        return segments.stream().filter(s -> s.kind() == Segment.Kind.POLICY).mapToInt(s -> s.tokens().length).sum();
    }

    /**
     * One policy turn as a learner row: the context it was sampled from and its tokens.
     *
     * @param turn the turn number (index into {@link #steps()})
     * @param context every token the policy saw before the turn
     * @param completion the turn's tokens
     * @param logprobs their behaviour log-probabilities
     * @param policyVersion the weights' version that sampled the turn
     */
    public record TurnRow(int turn, int[] context, int[] completion, float[] logprobs, long policyVersion) {
    }

    /** Every policy turn with the exact context it was sampled from. */
    public List<TurnRow> turnRows() {
        List<TurnRow> rows = new ArrayList<>();
        int[] context = new int[0];
        for (Segment s : segments) {
            switch (s.kind()) {
                case CONTEXT -> context = s.tokens();
                case ENVIRONMENT -> context = concat(context, s.tokens());
                case POLICY -> {
                    rows.add(new TurnRow(rows.size(), context, s.tokens(), s.logprobs(), s.policyVersion()));
                    context = concat(context, s.tokens());
                }
            }
        }
        return rows;
    }

    /**
     * The episode as one sequence.
     *
     * @param tokens every token in order
     * @param promptLength how many tokens the first context has
     * @param turnOf for each token, the policy turn it belongs to, or -1 for context and environment tokens (the
     *     loss mask is {@code turnOf >= 0}; a turn's advantage is broadcast over its tokens)
     * @param logprobs each policy token's behaviour log-probability (0 elsewhere)
     */
    public record Sequence(int[] tokens, int promptLength, int[] turnOf, float[] logprobs) {
    }

    /** The episode as one sequence with a loss mask, or null when the context was rendered anew at some turn. */
    public Sequence sequence() {
        if (segments.isEmpty() || contextResets() > 0) {
            return null;
        }
        int n = segments.stream().mapToInt(s -> s.tokens().length).sum();
        int[] tokens = new int[n];
        int[] turnOf = new int[n];
        float[] logprobs = new float[n];
        Arrays.fill(turnOf, -1);
        int at = 0;
        int turn = 0;
        for (Segment s : segments) {
            System.arraycopy(s.tokens(), 0, tokens, at, s.tokens().length);
            if (s.kind() == Segment.Kind.POLICY) {
                Arrays.fill(turnOf, at, at + s.tokens().length, turn++);
                System.arraycopy(s.logprobs(), 0, logprobs, at, s.tokens().length);
            }
            at += s.tokens().length;
        }
        return new Sequence(tokens, segments.get(0).tokens().length, turnOf, logprobs);
    }

    static int[] concat(int[] a, int[] b) {
        int[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }
}
