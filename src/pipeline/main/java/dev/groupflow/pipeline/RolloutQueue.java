package dev.groupflow.pipeline;

import org.apache.pekko.stream.BoundedSourceQueue;
import org.apache.pekko.stream.QueueOfferResult;

/**
 * The verifier stream's entrance, where samplers put their rollouts: the stream's {@link BoundedSourceQueue}
 * (safe to offer to from any thread). Admission control bounds what is in flight, so the queue always has room;
 * once the run has ended and the stream is closed, a last batch still in hand is simply not needed.
 */
public final class RolloutQueue {
    private final BoundedSourceQueue<Rollout> queue;
    private volatile boolean closed;

    public RolloutQueue(BoundedSourceQueue<Rollout> queue) {
        this.queue = queue;
    }

    /**
     * Puts a rollout into the stream.
     *
     * @throws IllegalStateException the queue refused it (full, or the stream failed): the sampler fails, and is
     *     restarted
     */
    public void offer(Rollout r) {
        QueueOfferResult res = queue.offer(r);
        if (res == QueueOfferResult.enqueued() || res == QueueOfferResult.closed()) {
            return;
        }
        throw new IllegalStateException("verifier queue refused a rollout: " + res);
    }

    /** Whether the run is over: nothing offered from now on is needed (samplers stop mid-batch). */
    public boolean closed() {
        return closed;
    }

    /** Ends the stream once what is queued has passed (the run is over). */
    void complete() {
        closed = true;
        try {
            queue.complete();
        } catch (RuntimeException alreadyDone) {
            // the stream ends on its own once the learner has stopped (the sink watches it)
        }
    }
}
