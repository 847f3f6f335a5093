package dev.groupflow.data;

/**
 * A line of a prompts file that cannot be used.
 *
 * @param line 1-based line number
 * @param reason what is wrong, naming the field
 * @param text the line as it was (kept so nothing is lost); when it is not valid UTF-8, decoded with U+FFFD in
 *     place of each invalid sequence
 * @param base64 the line's bytes, base64-encoded, when they are not valid UTF-8 (so {@code text} cannot hold
 *     them); null otherwise
 */
public record BadRow(long line, String reason, String text, String base64) {

    /** A row whose bytes are valid UTF-8: its text is the row exactly. */
    public BadRow(long line, String reason, String text) {
        this(line, reason, text, null);
    }
}
