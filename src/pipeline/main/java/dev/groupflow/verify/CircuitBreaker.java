package dev.groupflow.verify;

import java.time.Duration;
import java.util.function.LongSupplier;

/**
 * Stops calling a failing service for a while. Closed: calls pass; {@code failures} consecutive failures open it.
 * Open: calls are refused until {@code coolDown} has passed since it opened; then the next call is let through as
 * a trial (half-open) while others are still refused. A success (the trial's, or any call's) closes it; the trial
 * failing opens it for another cool-down. Thread-safe.
 */
final class CircuitBreaker {
    enum State { CLOSED, OPEN, HALF_OPEN }

    private final int failures;
    private final long coolDownNanos;
    private final LongSupplier clock;
    private State state = State.CLOSED;
    private int consecutive;
    private long openedAt;

    CircuitBreaker(int failures, Duration coolDown, LongSupplier nanoClock) {
        this.failures = failures;
        this.coolDownNanos = coolDown.toNanos();
        this.clock = nanoClock;
    }

    /** Whether a call may go ahead now; in half-open state only the first caller is allowed (the trial). */
    synchronized boolean allow() {
        switch (state) {
            case CLOSED -> {
                return true;
            }
            case OPEN -> {
                if (clock.getAsLong() - openedAt >= coolDownNanos) {
                    state = State.HALF_OPEN;
                    return true;
                }
                return false;
            }
            default -> {
                return false;
            }
        }
    }

    synchronized void success() {
        state = State.CLOSED;
        consecutive = 0;
    }

    synchronized void failure() {
        if (state == State.HALF_OPEN) {
            open();
        } else if (state == State.CLOSED && ++consecutive >= failures) {
            open();
        }
    }

    private void open() {
        state = State.OPEN;
        openedAt = clock.getAsLong();
        consecutive = 0;
    }

    synchronized State state() {
        return state;
    }

    /** Milliseconds until an open breaker lets a trial through (0 when not open). */
    synchronized long millisUntilTrial() {
        return state != State.OPEN ? 0 : Math.max(0, (coolDownNanos - (clock.getAsLong() - openedAt)) / 1_000_000);
    }
}
