package dev.groupflow.verify;

/**
 * A {@link CharSequence} that stops a regular-expression match running past a deadline: {@link #charAt} checks
 * the clock every 1024 reads and throws {@link Expired}. {@link java.util.regex.Matcher} reads its input only
 * through {@code charAt}, so a catastrophically backtracking pattern ends at the deadline instead of running for
 * hours.
 */
final class DeadlineText implements CharSequence {
    private final CharSequence text;
    private final long deadlineNanos;
    private int reads;

    /** Thrown from {@link #charAt} once the deadline has passed. */
    static final class Expired extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Expired() {
            super("the deadline passed", null, false, false);
        }
    }

    DeadlineText(CharSequence text, long deadlineNanos) {
        this.text = text;
        this.deadlineNanos = deadlineNanos;
    }

    @Override
    public char charAt(int index) {
        if ((++reads & 1023) == 0 && (System.nanoTime() - deadlineNanos > 0 || Thread.currentThread().isInterrupted())) {
            throw new Expired();
        }
        return text.charAt(index);
    }

    @Override
    public int length() {
        return text.length();
    }

    @Override
    public CharSequence subSequence(int start, int end) {
        return new DeadlineText(text.subSequence(start, end), deadlineNanos);
    }

    @Override
    public String toString() {
        return text.toString();
    }
}
