package dev.groupflow.verify;

import java.math.BigInteger;

/**
 * Bounds the work of parsing one math answer: nesting depth, the size of exact values (bits of numerator plus
 * denominator, checked before a power is taken), and a wall-clock deadline checked as work proceeds. Running out throws
 * {@link MathBudget.Exceeded}, so pathological input ends promptly with a reason instead of hanging or
 * allocating without bound.
 */
final class MathBudget {
    private final int maxDepth;
    private final long maxBits;
    private final long deadlineNanos;
    private int depth;
    private int steps;

    /** Thrown when an input needs more than the budget allows. */
    static final class Exceeded extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Exceeded(String message) {
            super(message, null, false, false);
        }
    }

    MathBudget(int maxDepth, long maxBits, long deadlineNanos) {
        this.maxDepth = maxDepth;
        this.maxBits = maxBits;
        this.deadlineNanos = deadlineNanos;
    }

    void enter() {
        if (++depth > maxDepth) {
            throw new Exceeded("nested deeper than " + maxDepth + " levels");
        }
        tick();
    }

    void leave() {
        depth--;
    }

    /** Counts a step of work; every 256 steps the deadline is checked. */
    void tick() {
        if ((++steps & 255) == 0 && System.nanoTime() - deadlineNanos > 0) {
            throw new Exceeded("took longer than the parse time limit");
        }
    }

    /** Checks that an exact value is small enough to keep computing with. */
    Rational check(Rational r) {
        tick();
        if (r.bits() > maxBits) {
            throw new Exceeded("a value needs more than " + maxBits + " bits");
        }
        return r;
    }

    /**
     * Checks a power before it is computed: base^e of a base other than 0 and ±1 grows by about the base's size
     * for each unit of |e|, so {@code 10^{1000000}} is refused here, before any allocation.
     */
    void checkPower(Rational base, BigInteger e) {
        long perUnit = Math.max(1, base.num().abs().bitLength() - 1) + Math.max(0, base.den().bitLength() - 1);
        if (e.abs().bitLength() > 31 || perUnit * e.abs().longValueExact() > maxBits) {
            throw new Exceeded("the power ^" + (e.bitLength() > 64 ? "(huge)" : e.toString()) + " needs more than "
                    + maxBits + " bits");
        }
    }
}
