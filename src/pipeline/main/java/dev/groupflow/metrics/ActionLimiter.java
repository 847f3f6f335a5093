package dev.groupflow.metrics;

import java.util.ArrayDeque;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * At most {@code perMinute} dashboard actions in any 60 s, from all clients together: the times of the actions
 * admitted in the last minute are kept (at most {@code perMinute} of them), and one more is admitted once the
 * oldest is a minute old. A script that presses the buttons in a loop gets 429 instead of a checkpoint each time.
 */
final class ActionLimiter {
    private static final long WINDOW = TimeUnit.MINUTES.toNanos(1);

    private final int perMinute;
    private final LongSupplier nanos;
    private final ArrayDeque<Long> admitted = new ArrayDeque<>();

    /** @param nanos the clock ({@link System#nanoTime} but in tests) */
    ActionLimiter(int perMinute, LongSupplier nanos) {
        if (perMinute < 1) {
            throw new IllegalArgumentException("actions per minute must be >= 1, got " + perMinute);
        }
        this.perMinute = perMinute;
        this.nanos = nanos;
    }

    int perMinute() {
        return perMinute;
    }

    /** Admits one action now (0), or says in how many whole seconds (>= 1) one will be admitted. */
    synchronized long tryAcquire() {
        long now = nanos.getAsLong();
        while (!admitted.isEmpty() && now - admitted.peekFirst() >= WINDOW) {
            admitted.removeFirst();
        }
        if (admitted.size() < perMinute) {
            admitted.addLast(now);
            return 0;
        }
        long wait = admitted.peekFirst() + WINDOW - now;
        return Math.max(1, (wait + TimeUnit.SECONDS.toNanos(1) - 1) / TimeUnit.SECONDS.toNanos(1));
    }
}
