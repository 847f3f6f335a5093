package dev.groupflow.data;

/**
 * A line of a prompts file that cannot be used.
 *
 * @param line 1-based line number
 * @param reason what is wrong, naming the field
 * @param text the line as it was (kept so nothing is lost)
 */
public record BadRow(long line, String reason, String text) {
}
