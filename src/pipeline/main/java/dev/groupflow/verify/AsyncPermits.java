package dev.groupflow.verify;

import java.util.ArrayDeque;
import java.util.concurrent.CompletableFuture;

/**
 * A counting semaphore whose waiters hold no thread: {@link #acquire} returns a future that completes when a
 * permit is free (at once, or when another holder calls {@link #release}, in arrival order).
 */
final class AsyncPermits {
    private final int permits;
    private final ArrayDeque<CompletableFuture<Void>> waiting = new ArrayDeque<>();
    private int used;

    AsyncPermits(int permits) {
        if (permits < 1) {
            throw new IllegalArgumentException("permits must be >= 1, got " + permits);
        }
        this.permits = permits;
    }

    /** A future that completes holding one permit; the holder must {@link #release} it exactly once. */
    synchronized CompletableFuture<Void> acquire() {
        if (used < permits) {
            used++;
            return CompletableFuture.completedFuture(null);
        }
        CompletableFuture<Void> f = new CompletableFuture<>();
        waiting.add(f);
        return f;
    }

    /** Returns a permit: it passes to the longest waiter, if any (completed outside the lock). */
    void release() {
        while (true) {
            CompletableFuture<Void> next;
            synchronized (this) {
                next = waiting.poll();
                if (next == null) {
                    used--;
                    return;
                }
            }
            if (next.complete(null)) {
                return;
            }
            // that waiter gave up (completed elsewhere): offer the permit to the next one
        }
    }

    /** Fails every waiter (when the owner closes). */
    void failWaiting(RuntimeException why) {
        while (true) {
            CompletableFuture<Void> next;
            synchronized (this) {
                next = waiting.poll();
            }
            if (next == null) {
                return;
            }
            next.completeExceptionally(why);
        }
    }

    synchronized int inUse() {
        return used;
    }

    synchronized int waiters() {
        return waiting.size();
    }
}
