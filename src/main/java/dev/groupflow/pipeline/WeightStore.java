package dev.groupflow.pipeline;

import ai.djl.ndarray.NDManager;
import dev.groupflow.model.CausalLm;
import java.util.concurrent.locks.ReadWriteLock;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The latest published policy weights and their version, shared in one JVM between the learner (which publishes
 * after each update) and the samplers (which copy them between batches). Messages only announce versions; the
 * weights themselves move through here, never through a mailbox. Publishing and copying take a lock, so a
 * sampler never reads a half-written update and the learner may train on while samplers generate.
 */
public final class WeightStore implements AutoCloseable {
    private final ReadWriteLock lock = new ReentrantReadWriteLock();
    private final CausalLm published;
    private volatile long version;

    /** A store holding a copy of {@code initial} at version {@code version}. */
    public WeightStore(CausalLm initial, NDManager manager, long version) {
        this.published = initial.copy(manager);
        this.published.setRequiresGradient(false);
        this.version = version;
    }

    public long version() {
        return version;
    }

    /** Copies the learner's weights in as {@code newVersion}. */
    public void publish(CausalLm learner, long newVersion) {
        lock.writeLock().lock();
        try {
            published.copyWeightsFrom(learner);
            version = newVersion;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** A new replica of the published weights, on {@code manager}'s device (for a sampler). */
    public CausalLm newReplica(NDManager manager) {
        lock.readLock().lock();
        try {
            CausalLm replica = published.copy(manager);
            replica.setRequiresGradient(false);
            return replica;
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Copies the published weights into a replica; returns their version. */
    public long copyInto(CausalLm replica) {
        lock.readLock().lock();
        try {
            replica.copyWeightsFrom(published);
            return version;
        } finally {
            lock.readLock().unlock();
        }
    }

    @Override
    public void close() {
        published.close();
    }
}
