package dev.groupflow.pipeline;

import ai.djl.ndarray.NDManager;
import dev.groupflow.model.CausalLm;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import java.util.function.BiConsumer;

/**
 * The published policy weights and their versions, shared in one JVM between the learner (which publishes after
 * each update) and the samplers (which copy them between batches). Messages only announce versions; the weights
 * move through here, never through a mailbox. Publishing and copying take a lock, so a sampler never reads a
 * half-written update while the learner trains on.
 *
 * <p>The store keeps the newest {@code retain} versions. Streaming mode needs only the newest; deterministic mode
 * keeps S + 1, because each prompt is sampled with the exact version its batch position implies, which can be up to
 * S behind the newest.
 */
public final class WeightStore implements AutoCloseable {
    private final ReentrantReadWriteLock lock = new ReentrantReadWriteLock();
    private final NDManager manager;
    private final int retain;
    private final Deque<Snapshot> history = new ArrayDeque<>(); // oldest first
    private final CausalLm live; // live mode: the learner's own weights, no snapshot; else null
    private volatile long version;

    private record Snapshot(long version, CausalLm weights) {
    }

    /** A store holding a copy of {@code initial} as {@code version}, keeping the newest {@code retain} versions. */
    public WeightStore(CausalLm initial, NDManager manager, long version, int retain) {
        if (retain < 1) {
            throw new IllegalArgumentException("retain must be >= 1");
        }
        this.manager = manager;
        this.retain = retain;
        this.live = null;
        CausalLm copy = initial.copy(manager);
        copy.setRequiresGradient(false);
        history.add(new Snapshot(version, copy));
        this.version = version;
    }

    private WeightStore(CausalLm learner, NDManager manager, long version) {
        this.manager = manager;
        this.retain = 1;
        this.live = learner;
        this.version = version;
    }

    /**
     * A store over the learner's own weights, holding no copy of them: samplers copy straight from the learner, and
     * the learner fences each update with {@link #beforeUpdate} ... {@link #publish} so a sampler never copies weights
     * half-updated or newer than their version. Streaming and lockstep runs with a local sampler use this: it saves a
     * whole copy of the weights (docs/memory.md).
     */
    public static WeightStore live(CausalLm learner, NDManager manager, long version) {
        return new WeightStore(learner, manager, version);
    }

    /**
     * Live mode: called by the learner (on its thread) before it changes its weights; samplers cannot copy from
     * then until {@link #publish} (or {@link #releaseUpdates}). Does nothing in snapshot mode.
     */
    public void beforeUpdate() {
        if (live != null && !lock.isWriteLockedByCurrentThread()) {
            lock.writeLock().lock();
        }
    }

    /** Live mode: lets samplers copy again after a failed update (the weights keep their published version). */
    public void releaseUpdates() {
        while (lock.isWriteLockedByCurrentThread()) {
            lock.writeLock().unlock();
        }
    }

    /** The newest version. */
    public long version() {
        return version;
    }

    /** Copies the learner's weights in as {@code newVersion} (dropping the oldest kept version if full). */
    public void publish(CausalLm learner, long newVersion) {
        if (live != null) {
            version = newVersion; // the weights are already in place
            releaseUpdates();
            return;
        }
        lock.writeLock().lock();
        try {
            CausalLm target;
            if (history.size() >= retain) {
                target = history.pollFirst().weights();
            } else {
                target = learner.copy(manager);
                target.setRequiresGradient(false);
            }
            target.copyWeightsFrom(learner);
            history.addLast(new Snapshot(newVersion, target));
            version = newVersion;
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** Adds an older version (restored from a checkpoint) below the newest, for deterministic resume. */
    public void restore(long olderVersion, CausalLm weights) {
        lock.writeLock().lock();
        try {
            CausalLm copy = weights.copy(manager);
            copy.setRequiresGradient(false);
            history.addFirst(new Snapshot(olderVersion, copy));
            while (history.size() > retain) {
                history.pollFirst().weights().close();
            }
        } finally {
            lock.writeLock().unlock();
        }
    }

    /** A new replica of the newest weights, on {@code manager}'s device (for a sampler). */
    public CausalLm newReplica(NDManager target) {
        return newReplica(target, false, false);
    }

    /**
     * A new replica of the newest weights for a sampler.
     *
     * @param share live mode: a view of the learner's weights themselves, no copy (lockstep, where sampling and
     *     learning never overlap)
     * @param merged with adapters: a model of its own with the adapters merged into its weights
     */
    public CausalLm newReplica(NDManager target, boolean share, boolean merged) {
        lock.readLock().lock();
        try {
            CausalLm newest = newest();
            if (share && live != null) {
                return newest.baseView(target); // every weight shared: sampling reads the learner's own
            }
            CausalLm replica = merged ? newest.merged(target) : newest.copy(target);
            replica.setRequiresGradient(false);
            return replica;
        } finally {
            lock.readLock().unlock();
        }
    }

    private CausalLm newest() {
        return live != null ? live : history.peekLast().weights();
    }

    /** Copies the newest weights into a replica; returns their version. */
    public long copyInto(CausalLm replica) {
        lock.readLock().lock();
        try {
            if (live != null) {
                replica.copyWeightsFrom(live); // weights it shares with the learner are skipped
                return version;
            }
            Snapshot s = history.peekLast();
            replica.copyWeightsFrom(s.weights());
            return s.version();
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Copies exactly version {@code v} into a replica. */
    public void copyInto(CausalLm replica, long v) {
        lock.readLock().lock();
        try {
            if (live != null && v == version) {
                replica.copyWeightsFrom(live);
                return;
            }
            for (Snapshot s : history) {
                if (s.version() == v) {
                    replica.copyWeightsFrom(s.weights());
                    return;
                }
            }
            throw new IllegalStateException("version " + v + " is no longer kept (kept: " + versions() + ")");
        } finally {
            lock.readLock().unlock();
        }
    }

    /** Runs {@code action} on each kept version older than the newest, under the read lock (for checkpoints). */
    public void forEachOlder(BiConsumer<Long, CausalLm> action) {
        lock.readLock().lock();
        try {
            Map<Long, CausalLm> older = new LinkedHashMap<>();
            for (Snapshot s : history) {
                if (s.version() != version) {
                    older.put(s.version(), s.weights());
                }
            }
            older.forEach(action);
        } finally {
            lock.readLock().unlock();
        }
    }

    private String versions() {
        return history.stream().map(s -> Long.toString(s.version())).toList().toString();
    }

    @Override
    public void close() {
        history.forEach(s -> s.weights().close());
        history.clear();
    }
}
