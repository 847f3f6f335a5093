package dev.groupflow.pipeline;

import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;
import org.apache.pekko.stream.SubscriptionWithCancelException;

/**
 * The stream's entrance, where samplers put their work: rollouts into the verifier stream, or (agent runs, whose
 * rewards come from the environment) whole groups of episodes straight to the learner. It is the stream's
 * {@link BoundedSourceQueue} (safe to offer to from any thread). Admission control bounds what is in flight, so
 * the queue always has room; once the run has ended and the stream is closed, a last batch still in hand is simply
 * not needed.
 */
public final class RolloutQueue {
    private final BoundedSourceQueue<Rollout> rollouts;
    private final BoundedSourceQueue<Group> groups;
    private volatile boolean closed;

    /** The verifier stream's entrance. */
    public RolloutQueue(BoundedSourceQueue<Rollout> rollouts) {
        this(rollouts, null);
    }

    private RolloutQueue(BoundedSourceQueue<Rollout> rollouts, BoundedSourceQueue<Group> groups) {
        this.rollouts = rollouts;
        this.groups = groups;
    }

    /** The entrance of a stream of finished groups (groups of episodes go straight to the learner). */
    public static RolloutQueue ofGroups(BoundedSourceQueue<Group> groups) {
        return new RolloutQueue(null, groups);
    }

    /**
     * Puts a rollout into the stream.
     *
     * @throws IllegalStateException the queue refused it (full, or the stream failed): the sampler fails, and is
     *     restarted
     */
    public void offer(Rollout r) {
        if (rollouts == null) {
            throw new IllegalStateException("this stream takes whole groups of episodes, not rollouts");
        }
        check(rollouts.offer(r), "a rollout");
    }

    /** Puts a finished group into the stream (see {@link #offer(Rollout)}). */
    public void offer(Group g) {
        if (groups == null) {
            throw new IllegalStateException("this stream takes rollouts to verify, not finished groups");
        }
        check(groups.offer(g), "a group");
    }

    private void check(QueueOfferResult res, String what) {
        if (res == QueueOfferResult.enqueued() || res == QueueOfferResult.closed()) {
            return;
        }
        if (res instanceof QueueOfferResult.Failure f
                && f.cause() instanceof SubscriptionWithCancelException.StageWasCompleted$) {
            // the learner's end of the stream completed (the run reached its last step) before complete() was
            // called here: what is still offered is not needed, as after complete()
            closed = true;
            return;
        }
        throw new IllegalStateException("the stream's queue refused " + what + ": " + res);
    }

    /**
     * Whether the run is over: nothing offered from now on is needed (samplers stop mid-batch, the episode stage
     * between two turns).
     */
    public boolean closed() {
        return closed;
    }

    /** Ends the stream once what is queued has passed (the run is over). */
    void complete() {
        closed = true;
        try {
            if (rollouts != null) {
                rollouts.complete();
            } else {
                groups.complete();
            }
        } catch (RuntimeException alreadyDone) {
            // the stream ends on its own once the learner has stopped (the sink watches it)
        }
    }
}
