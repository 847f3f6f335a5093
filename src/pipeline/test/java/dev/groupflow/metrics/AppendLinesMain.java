package dev.groupflow.metrics;

import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Appends lines to a file with {@link LineAppender} until it fails (run by {@link LineAppenderTest} in a process
 * of its own, under a file size limit): {@code FILE LINES LENGTH} appends LINES lines of LENGTH bytes (line break
 * included). Prints the error and exits 3 when a write fails.
 */
public final class AppendLinesMain {
    private AppendLinesMain() {
    }

    public static void main(String[] args) {
        String line = "x".repeat(Integer.parseInt(args[2]) - 1);
        try (LineAppender out = new LineAppender(Path.of(args[0]))) {
            for (int i = 0; i < Integer.parseInt(args[1]); i++) {
                out.append(line);
            }
        } catch (UncheckedIOException e) {
            System.out.println(e.getMessage());
            System.exit(3);
        }
    }
}
