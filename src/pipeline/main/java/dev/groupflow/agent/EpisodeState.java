package dev.groupflow.agent;

import dev.groupflow.sampling.CachedContext;
import dev.groupflow.sampling.Completion;
import dev.groupflow.sampling.TurnSampler;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;

/**
 * One live episode between its events, as a state machine with no threads of its own: started by the environment
 * ({@link #started}), ready for a policy turn ({@link #request}), its turn done and its action on the way to the
 * environment ({@link #turned}), the environment's answer in ({@link #stepped}), and so on until it ends
 * ({@link #end}, {@link #episode}). {@link EpisodeRunner} drives many of them; a stage of the stream can drive them
 * from its messages in the same way.
 *
 * <p>It keeps the episode's tokens as {@link Segment}s, its steps, its turn format's transcript and its KV cache
 * between turns ({@link CachedContext}, freed when it ends).
 */
public final class EpisodeState {

    /** Where the episode is. */
    public enum Phase {
        /** Waiting for the environment's first observation. */
        STARTING,
        /** Waiting for its policy turn. */
        READY,
        /** Waiting for the environment's answer to its turn. */
        ACTING,
        /** Over; {@link #episode()} has it. */
        ENDED
    }

    private final EpisodeSpec spec;
    private final TurnFormat format;
    private final EpisodeLimits limits;
    private final List<Segment> segments = new ArrayList<>();
    private final List<Step> steps = new ArrayList<>();
    private Phase phase = Phase.STARTING;
    private TurnFormat.Transcript transcript;
    private CachedContext cache;
    private String stateKey;
    private Action pendingAction;
    private int policyTokens;
    private EpisodeOutcome outcome;

    public EpisodeState(EpisodeSpec spec, TurnFormat format, EpisodeLimits limits) {
        this.spec = spec;
        this.format = format;
        this.limits = limits;
    }

    public EpisodeSpec spec() {
        return spec;
    }

    public Phase phase() {
        return phase;
    }

    /** Turns taken so far. */
    public int turns() {
        return steps.size() + (phase == Phase.ACTING ? 1 : 0);
    }

    /** The environment's first observation arrived. */
    public void started(Observation first) {
        expect(Phase.STARTING);
        try {
            transcript = format.begin(first);
        } catch (EnvironmentFailure e) {
            end(new EpisodeOutcome.EnvironmentFailed(e.getMessage(), -1));
            return;
        }
        segments.add(Segment.context(transcript.context()));
        stateKey = keyOf(first, transcript.context());
        phase = Phase.READY;
        checkRoom();
    }

    /** The sampler request for the next turn (the episode's cache passes to the sampler). */
    public TurnSampler.Request request() {
        expect(Phase.READY);
        int[] context = transcript.context();
        int budget = Math.min(limits.maxTurnTokens(), limits.maxTokens() - context.length);
        TurnSampler.Request r = new TurnSampler.Request(spec.episodeKey(), spec.sampleIndex(), context, policyTokens,
                budget, cache);
        cache = null;
        return r;
    }

    /** The policy's turn is done; returns the step to send to the environment. */
    public EpisodeStep turned(TurnSampler.Turn turn, long policyVersion) {
        expect(Phase.READY);
        Completion c = turn.completion();
        cache = turn.cache();
        segments.add(Segment.policy(c.tokens(), c.logprobs(), policyVersion));
        policyTokens += c.tokens().length;
        pendingAction = transcript.act(c);
        phase = Phase.ACTING;
        return new EpisodeStep(spec.episodeId(), steps.size(), pendingAction);
    }

    /** The environment answered the turn: the episode ends or is ready for its next turn. */
    public void stepped(Transition t) {
        expect(Phase.ACTING);
        int[] before = transcript.context();
        boolean last = t.done() || steps.size() + 1 >= limits.maxTurns();
        String observed = null;
        if (!last) {
            try {
                observed = transcript.observe(t.observation());
            } catch (EnvironmentFailure e) {
                end(new EpisodeOutcome.EnvironmentFailed(e.getMessage(), steps.size()));
                return;
            }
        }
        steps.add(new Step(steps.size(), stateKey, pendingAction, t.reward(), t.done(), observed));
        pendingAction = null;
        phase = Phase.READY; // the turn is answered: ending now keeps it
        if (t.done()) {
            end(new EpisodeOutcome.Finished());
            return;
        }
        if (last) {
            end(new EpisodeOutcome.Truncated(EpisodeOutcome.Limit.MAX_TURNS));
            return;
        }
        int[] context = transcript.context();
        if (context.length >= before.length && Arrays.equals(before, 0, before.length, context, 0, before.length)) {
            segments.add(Segment.environment(Arrays.copyOfRange(context, before.length, context.length)));
        } else {
            segments.add(Segment.context(context));
        }
        stateKey = keyOf(t.observation(), context);
        checkRoom();
    }

    /** Ends the episode with this outcome (a failed environment, or a limit); frees its cache. */
    public void end(EpisodeOutcome why) {
        if (phase == Phase.ENDED) {
            return;
        }
        if (phase == Phase.ACTING) {
            // the environment never answered this turn: the turn is not part of the episode
            segments.remove(segments.size() - 1);
        }
        outcome = why;
        phase = Phase.ENDED;
        if (cache != null) {
            cache.close();
            cache = null;
        }
    }

    /** The finished episode. */
    public Episode episode() {
        expect(Phase.ENDED);
        return new Episode(spec.episodeId(), spec.episodeKey(), spec.sampleIndex(), spec.task(), segments, steps,
                outcome);
    }

    /** A context with no room left for one more token ends the episode. */
    private void checkRoom() {
        if (transcript.context().length >= limits.maxTokens()) {
            end(new EpisodeOutcome.Truncated(EpisodeOutcome.Limit.MAX_TOKENS));
        }
    }

    private void expect(Phase p) {
        if (phase != p) {
            throw new IllegalStateException("episode " + spec.episodeId() + " is " + phase + ", not " + p);
        }
    }

    /** The environment's state key, or a digest of the context the policy sees. */
    static String keyOf(Observation o, int[] context) {
        if (o != null && o.stateKey() != null) {
            return o.stateKey();
        }
        try {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            ByteBuffer bytes = ByteBuffer.allocate(context.length * Integer.BYTES);
            bytes.asIntBuffer().put(context);
            return "context:" + HexFormat.of().formatHex(sha.digest(bytes.array()));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }
}
