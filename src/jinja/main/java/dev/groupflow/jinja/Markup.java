package dev.groupflow.jinja;

/**
 * A string marked HTML-safe (markupsafe's {@code Markup}), produced by the {@code escape} and
 * {@code safe} filters. It prints as its text; escaping it again is a no-op, and concatenating a
 * plain string to it with {@code +} escapes that string.
 */
record Markup(String text) {
    @Override
    public String toString() {
        return text;
    }
}
